import { estimateAffect } from './emotion.js';
import { chooseLayer } from './layers.js';
import { estimateImportance, extractKeywords } from './logic.js';
import { contentHashOfFolded, foldText, indexTerms, tokensOfFolded, type IndexTerms } from './text.js';
import type { ValidInput } from './validate.js';

export interface ProcessingOptions {
  emotionThreshold: number;
  maxKeywords: number;
}

/** What the write-path processors derive from a valid input. */
export interface ProcessedMemory {
  input: ValidInput;
  /** sensory */
  hash: string;
  terms: IndexTerms;
  /** emotion */
  valence: number;
  arousal: number;
  /** logic */
  keywords: string[];
  importance: number;
  layer: number;
}

/**
 * The synchronous write path: sensory (tokens, index terms, content hash), emotion (valence and arousal unless
 * given), logic (keywords, importance unless given), then the layer.
 */
export function processMemory(input: ValidInput, options: ProcessingOptions): ProcessedMemory {
  // Tokens and the content hash start from the same folded text: fold it once.
  const folded = foldText(input.content);
  const tokens = tokensOfFolded(folded);
  const terms = indexTerms(tokens);
  const affect = input.valence === undefined || input.arousal === undefined ? estimateAffect(input.content) : undefined;
  const valence = input.valence ?? affect!.valence;
  const arousal = input.arousal ?? affect!.arousal;
  const importance =
    input.importance ?? estimateImportance({ content: input.content, tokens, terms, valence, arousal });
  return {
    input,
    hash: contentHashOfFolded(input.kind, folded),
    terms,
    valence,
    arousal,
    keywords: extractKeywords(terms, options.maxKeywords),
    importance,
    layer: chooseLayer(input.layer, valence, arousal, options.emotionThreshold),
  };
}
