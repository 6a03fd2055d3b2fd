/** See api-types.mjs. */
export declare function apiTypes(document: unknown): Promise<string>;
