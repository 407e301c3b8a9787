/**
 * Decoder for the NB101 `ModelMetrics` protobuf (proto2, nasbench/lib/model_metrics.proto):
 *
 *   message ModelMetrics   { repeated EvaluationData evaluation_data = 1;
 *                            optional int32 trainable_parameters = 2;
 *                            optional double total_time = 3; }
 *   message EvaluationData { optional double current_epoch = 1; optional double training_time = 2;
 *                            optional double train_accuracy = 3; optional double validation_accuracy = 4;
 *                            optional double test_accuracy = 5; optional string checkpoint_path = 6; }
 *
 * Hand-written on protobufjs's wire Reader instead of a generated class: two tiny messages do not
 * justify a .proto build step, and decoding by hand keeps proto2 presence visible: a field that is
 * not on the wire stays `undefined` (the generated classes would give 0, which hides missing data).
 * Unknown fields are skipped, as any protobuf reader would.
 */
import protobuf from 'protobufjs/minimal.js';

export interface NB101Evaluation {
  currentEpoch?: number;
  trainingTime?: number;
  trainAccuracy?: number;
  validationAccuracy?: number;
  testAccuracy?: number;
  checkpointPath?: string;
}

export interface NB101ModelMetrics {
  /** Index 0 = at initialisation, 1 = halfway, 2 = end of training. */
  evaluations: NB101Evaluation[];
  trainableParameters?: number;
  totalTime?: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

type Reader = protobuf.Reader;

function expectWire(field: string, wire: number, expected: number): void {
  if (wire !== expected) {
    throw new Error(`field ${field} has wire type ${wire}, expected ${expected}`);
  }
}

function decodeEvaluation(reader: Reader, end: number): NB101Evaluation {
  const ev: NB101Evaluation = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: expectWire('EvaluationData.current_epoch', wire, WIRE_FIXED64); ev.currentEpoch = reader.double(); break;
      case 2: expectWire('EvaluationData.training_time', wire, WIRE_FIXED64); ev.trainingTime = reader.double(); break;
      case 3: expectWire('EvaluationData.train_accuracy', wire, WIRE_FIXED64); ev.trainAccuracy = reader.double(); break;
      case 4: expectWire('EvaluationData.validation_accuracy', wire, WIRE_FIXED64); ev.validationAccuracy = reader.double(); break;
      case 5: expectWire('EvaluationData.test_accuracy', wire, WIRE_FIXED64); ev.testAccuracy = reader.double(); break;
      case 6: expectWire('EvaluationData.checkpoint_path', wire, WIRE_BYTES); ev.checkpointPath = reader.string(); break;
      default: reader.skipType(wire);
    }
  }
  if (reader.pos !== end) throw new Error('EvaluationData overruns its length');
  return ev;
}

/** Decodes serialized ModelMetrics bytes. Throws Error on malformed protobuf (callers add where). */
export function decodeModelMetrics(bytes: Uint8Array): NB101ModelMetrics {
  const reader = protobuf.Reader.create(bytes);
  const out: NB101ModelMetrics = { evaluations: [] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: {
        expectWire('ModelMetrics.evaluation_data', wire, WIRE_BYTES);
        const len = reader.uint32();
        const end = reader.pos + len;
        if (end > reader.len) throw new Error('EvaluationData length runs past the end of ModelMetrics');
        out.evaluations.push(decodeEvaluation(reader, end));
        break;
      }
      case 2: expectWire('ModelMetrics.trainable_parameters', wire, WIRE_VARINT); out.trainableParameters = reader.int32(); break;
      case 3: expectWire('ModelMetrics.total_time', wire, WIRE_FIXED64); out.totalTime = reader.double(); break;
      default: reader.skipType(wire);
    }
  }
  return out;
}

/** Encoder for tests and fixtures: writes exactly the fields that are present. */
export function encodeModelMetrics(m: NB101ModelMetrics): Uint8Array {
  const w = protobuf.Writer.create();
  for (const ev of m.evaluations) {
    w.uint32((1 << 3) | WIRE_BYTES).fork();
    if (ev.currentEpoch !== undefined) w.uint32((1 << 3) | WIRE_FIXED64).double(ev.currentEpoch);
    if (ev.trainingTime !== undefined) w.uint32((2 << 3) | WIRE_FIXED64).double(ev.trainingTime);
    if (ev.trainAccuracy !== undefined) w.uint32((3 << 3) | WIRE_FIXED64).double(ev.trainAccuracy);
    if (ev.validationAccuracy !== undefined) w.uint32((4 << 3) | WIRE_FIXED64).double(ev.validationAccuracy);
    if (ev.testAccuracy !== undefined) w.uint32((5 << 3) | WIRE_FIXED64).double(ev.testAccuracy);
    if (ev.checkpointPath !== undefined) w.uint32((6 << 3) | WIRE_BYTES).string(ev.checkpointPath);
    w.ldelim();
  }
  if (m.trainableParameters !== undefined) w.uint32((2 << 3) | WIRE_VARINT).int32(m.trainableParameters);
  if (m.totalTime !== undefined) w.uint32((3 << 3) | WIRE_FIXED64).double(m.totalTime);
  return w.finish();
}
