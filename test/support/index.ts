// The Docker test harness: a private engine, the local test images, and the API test files use.
export { engineAt, type TestEngine, useTestEngine } from './engine.js';
export { BUSYBOX_IMAGE, DEBIAN_IMAGE, ensureTestImages, hasImage } from './images.js';
export { type PrivateEngine, reapStaleEngines, startPrivateEngine } from './private-engine.js';
