/**
 * Adds a clean-aperture ('clap') property to the primary item of an AVIF that sharp wrote, as a
 * camera would: the property goes at the end of ipco, an essential association into ipma, and
 * every size and iloc offset that the insertion moves is fixed. Test-only, for sharp's layout
 * (ftyp, meta, mdat; iloc offsets into mdat).
 */
interface Box { type: string; start: number; size: number; body: number }

function boxes(b: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let at = start; at + 8 <= end;) {
    const size = b.readUInt32BE(at);
    if (size < 8) throw new Error('unexpected box size');
    out.push({ type: b.toString('latin1', at + 4, at + 8), start: at, size, body: at + 8 });
    at += size;
  }
  return out;
}
const find = (list: Box[], type: string): Box => {
  const box = list.find((x) => x.type === type);
  if (!box) throw new Error(`no ${type} box`);
  return box;
};

export interface Fraction { n: number; d: number }
export interface Clap { width: Fraction; height: Fraction; horizOff: Fraction; vertOff: Fraction }

function clapBox(clap: Clap): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32BE(40, 0);
  b.write('clap', 4, 'latin1');
  const values = [clap.width, clap.height, clap.horizOff, clap.vertOff];
  values.forEach((f, i) => {
    // width/height are unsigned; offsets are signed
    if (i < 2) b.writeUInt32BE(f.n, 8 + i * 8); else b.writeInt32BE(f.n, 8 + i * 8);
    b.writeUInt32BE(f.d, 12 + i * 8);
  });
  return b;
}

export function withClap(avif: Buffer, clap: Clap): Buffer {
  const top = boxes(avif, 0, avif.length);
  const meta = find(top, 'meta');
  const inMeta = boxes(avif, meta.body + 4, meta.start + meta.size);
  const iprp = find(inMeta, 'iprp');
  const inIprp = boxes(avif, iprp.body, iprp.start + iprp.size);
  const ipco = find(inIprp, 'ipco');
  const ipma = find(inIprp, 'ipma');
  const pitm = find(inMeta, 'pitm');
  const primary = avif.readUInt8(pitm.body) === 0 ? avif.readUInt16BE(pitm.body + 4) : avif.readUInt32BE(pitm.body + 4);
  const propertyIndex = boxes(avif, ipco.body, ipco.start + ipco.size).length + 1;

  // ipma: rebuild the primary item's entry with one more (essential) association.
  const version = avif.readUInt8(ipma.body);
  const wide = (avif.readUInt8(ipma.body + 3) & 1) === 1;
  const entries: Buffer[] = [];
  let at = ipma.body + 8;
  const count = avif.readUInt32BE(ipma.body + 4);
  for (let i = 0; i < count; i++) {
    const idSize = version < 1 ? 2 : 4;
    const id = idSize === 2 ? avif.readUInt16BE(at) : avif.readUInt32BE(at);
    const n = avif.readUInt8(at + idSize);
    const assocSize = wide ? 2 : 1;
    const end = at + idSize + 1 + n * assocSize;
    let entry = avif.subarray(at, end);
    if (id === primary) {
      const extra = Buffer.alloc(assocSize);
      if (wide) extra.writeUInt16BE(0x8000 | propertyIndex); else extra.writeUInt8(0x80 | propertyIndex);
      // First in the list: MIAF orders transformations clap, irot, imir, and libheif applies
      // them in association order.
      entry = Buffer.concat([entry.subarray(0, idSize + 1), extra, entry.subarray(idSize + 1)]);
      entry.writeUInt8(n + 1, idSize);
    }
    entries.push(entry);
    at = end;
  }
  const newIpma = Buffer.concat([avif.subarray(ipma.start, ipma.body + 8), ...entries]);
  newIpma.writeUInt32BE(newIpma.length, 0);
  const newIpco = Buffer.concat([avif.subarray(ipco.start, ipco.start + ipco.size), clapBox(clap)]);
  newIpco.writeUInt32BE(newIpco.length, 0);
  const iprpParts = inIprp.map((x) => (x.type === 'ipco' ? newIpco : x.type === 'ipma' ? newIpma : avif.subarray(x.start, x.start + x.size)));
  const newIprp = Buffer.concat([avif.subarray(iprp.start, iprp.body), ...iprpParts]);
  newIprp.writeUInt32BE(newIprp.length, 0);
  const delta = newIprp.length - iprp.size;

  // iloc: offsets into mdat move by delta (mdat follows meta).
  const iloc = find(inMeta, 'iloc');
  const newIloc = Buffer.from(avif.subarray(iloc.start, iloc.start + iloc.size));
  const v = newIloc.readUInt8(8);
  const offsetSize = newIloc.readUInt8(12) >> 4;
  const lengthSize = newIloc.readUInt8(12) & 15;
  const baseSize = newIloc.readUInt8(13) >> 4;
  const indexSize = v >= 1 ? newIloc.readUInt8(13) & 15 : 0;
  let p = 14;
  const itemCount = v < 2 ? newIloc.readUInt16BE(p) : newIloc.readUInt32BE(p);
  p += v < 2 ? 2 : 4;
  const bump = (pos: number, size: number): void => {
    if (size === 4) newIloc.writeUInt32BE(newIloc.readUInt32BE(pos) + delta, pos);
    else if (size === 8) newIloc.writeBigUInt64BE(newIloc.readBigUInt64BE(pos) + BigInt(delta), pos);
  };
  for (let i = 0; i < itemCount; i++) {
    p += v < 2 ? 2 : 4; // item id
    const method = v >= 1 ? newIloc.readUInt16BE(p) & 15 : 0;
    if (v >= 1) p += 2;
    p += 2; // data reference index
    const baseAt = p;
    p += baseSize;
    const extents = newIloc.readUInt16BE(p);
    p += 2;
    if (method === 0 && baseSize > 0) bump(baseAt, baseSize);
    for (let e = 0; e < extents; e++) {
      p += indexSize;
      if (method === 0 && baseSize === 0) bump(p, offsetSize);
      p += offsetSize + lengthSize;
    }
  }
  const metaParts = inMeta.map((x) => (x.type === 'iprp' ? newIprp : x.type === 'iloc' ? newIloc : avif.subarray(x.start, x.start + x.size)));
  const newMeta = Buffer.concat([avif.subarray(meta.start, meta.body + 4), ...metaParts]);
  newMeta.writeUInt32BE(newMeta.length, 0);
  return Buffer.concat([avif.subarray(0, meta.start), newMeta, avif.subarray(meta.start + meta.size)]);
}

export const whole = (n: number, d = 1): Fraction => ({ n, d });
