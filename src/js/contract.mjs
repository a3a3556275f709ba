// Generated from the core (crates/core/src/record.rs, profile.rs, engagement.rs): do not edit.
// After changing those: cargo xtask contract (a test compares this file).
export var STORAGE_KEY = "leadmagnet:v1";
export var ACTIVITY_KEY = "leadmagnet:activity:v1";
export var MAX_EVENTS = 100;
export var MAX_AGE_MS = 7776000000;
export var VISIT_GAP_MS = 1800000;
export var BATCH_VERSION = 1;
export var MAX_BATCH_EVENTS = 50;
export var BATCH_TTL_MS = 604800000;
export var COUNTS_VERSION = 1;
