import { moveCommand } from './_move.js';

export default moveCommand('back', -1);
