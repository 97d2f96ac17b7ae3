import { moveCommand } from './_move.js';

export default moveCommand('next', 1);
