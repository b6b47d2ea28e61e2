import { messageType } from '@engram/protocol';

/** Field number of a message field, from the loaded protos (no number is written twice). */
function fieldNumber(type: string, field: string): number {
  const f = messageType(type).fields[field];
  if (!f) throw new Error(`${type} has no field ${field}`);
  return f.id;
}

const INPUT_SUBJECT = fieldNumber('engram.v1.MemoryInput', 'subject');
const INPUT_ID = fieldNumber('engram.v1.MemoryInput', 'id');

/** Paths of field numbers to the routing fields of each request, read from the wire. */
export const ROUTING = {
  rememberSubject: [fieldNumber('engram.v1.RememberRequest', 'memory'), INPUT_SUBJECT],
  rememberId: [fieldNumber('engram.v1.RememberRequest', 'memory'), INPUT_ID],
  batchItems: fieldNumber('engram.v1.RememberBatchRequest', 'memories'),
  itemSubject: [INPUT_SUBJECT],
  itemId: [INPUT_ID],
  recallSubject: [fieldNumber('engram.v1.RecallRequest', 'subject')],
  querySubject: [fieldNumber('engram.v1.QueryRequest', 'subject')],
  forgetSubject: [fieldNumber('engram.v1.ForgetRequest', 'subject')],
  forgetSubjectSubject: [fieldNumber('engram.v1.ForgetSubjectRequest', 'subject')],
  detectSubject: [fieldNumber('engram.v1.DetectPatternsRequest', 'subject')],
  listPatternsSubject: [fieldNumber('engram.v1.ListPatternsRequest', 'subject')],
  predictSubject: [fieldNumber('engram.v1.PredictRequest', 'subject')],
  feedbackSubject: [fieldNumber('engram.v1.FeedbackRequest', 'subject')],
  dreamSubject: [fieldNumber('engram.v1.DreamRequest', 'subject')],
} as const;
