/**
 * Fast layer helpers: building blocks whose gradients avoid the backends' slow paths.
 */
export { dense, DENSE_ACTIVATIONS } from './dense';
export type { DenseActivation, DenseOptions } from './dense';
export { pickPerRow } from './pick';
export { logSoftmaxPick } from './logSoftmaxPick';
export type { LogSoftmaxPick } from './logSoftmaxPick';
