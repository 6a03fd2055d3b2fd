// Same native environment as production (no libvips temp files, no fontconfig cache) in every test file.
import '../src/privacy/native-env.js';
