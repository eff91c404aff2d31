// Entry of dist/camkit.widget.js: the whole core API plus the element, as the `camkit` global.
export * from '../index.js';
export * from './index.js';
