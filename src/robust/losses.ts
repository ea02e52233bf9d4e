/**
 * Per-pair preference losses of DPO and IPO (TRL's `loss_type` names: `sigmoid` is DPO, `ipo` is IPO).
 *
 * Both act on the margin h = (log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x)):
 * - DPO (`sigmoid`): -log sigmoid(beta h), computed as softplus(-beta h) for numerical stability;
 * - IPO (`ipo`): (h - 1 / (2 beta))^2.
 */
import * as tf from '@tensorflow/tfjs';

/** Which per-pair loss to use, in TRL's vocabulary. */
export type PreferenceLossType = 'sigmoid' | 'ipo';

/** Throws unless beta is a finite positive number. */
export function checkBeta(beta: number): void {
  if (!Number.isFinite(beta) || beta <= 0) throw new Error(`beta must be a finite positive number, got ${beta}`);
}

/** The per-pair loss for margins h. */
export function perPairLoss(lossType: PreferenceLossType, margins: tf.Tensor1D, beta: number): tf.Tensor1D {
  checkBeta(beta);
  return tf.tidy(() => {
    switch (lossType) {
      case 'sigmoid':
        return tf.softplus(tf.mul(margins, -beta)) as tf.Tensor1D;
      case 'ipo':
        return tf.square(tf.sub(margins, 1 / (2 * beta))) as tf.Tensor1D;
      default:
        throw new Error(`loss_type must be 'sigmoid' (DPO) or 'ipo', got '${lossType as string}'`);
    }
  });
}

/** The same losses on plain numbers (used for reporting and in tests). */
export function perPairLossValue(lossType: PreferenceLossType, margin: number, beta: number): number {
  checkBeta(beta);
  if (lossType === 'sigmoid') {
    const z = -beta * margin;
    return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  if (lossType === 'ipo') return (margin - 1 / (2 * beta)) ** 2;
  throw new Error(`loss_type must be 'sigmoid' (DPO) or 'ipo', got '${lossType as string}'`);
}
