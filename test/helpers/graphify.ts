// The converter's rewrite of a LayersModel (src/conformance/graphify.ts), for the tests.
export { graphify, type GraphifyOptions } from '../../src/conformance/graphify.js';
