/**
 * Most promoted memories a consolidation's answer names (ConsolidateResponse.promoted_ids, DreamReport.promoted_ids):
 * its `promoted` counts them all. The proto comments say the same.
 */
export const MAX_PROMOTED_IDS = 1000;
