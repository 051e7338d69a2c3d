import { layoutOf } from './src/codec/encode.js';
import { worldConfig } from './model/config.js';
const c = worldConfig('small','exhaustive');
console.log(c.name, c.cpus, c.frames);
const l = layoutOf(c);
console.log((l.state as any).decode.toString());
