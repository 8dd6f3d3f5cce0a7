import { describeSwarmStore } from './conformance';
import { MemorySwarmStore } from './memory';

describeSwarmStore('memory', (options) => new MemorySwarmStore(options));
