/**
 * Checkpoint plumbing shared by every trainer and saved model: field-by-field validation of saved
 * JSON ({@link FieldReader}), non-finite checks, and JSON files that name themselves in errors.
 * @packageDocumentation
 */
export { FieldReader, describeValue, findNonFinite, requireFiniteNumbers, requireFloat32Numbers, requireFiniteTree, FLOAT32_MAX } from './fields';
export { writeJsonFile, readJsonFile, saveCheckpoint, loadCheckpoint, registerCheckpointFormat, checkpointFormats } from './files';
export type { SavedCheckpoint, CheckpointValidator } from './files';
