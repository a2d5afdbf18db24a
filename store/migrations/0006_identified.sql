-- 0006: when the cause was identified by `status identified` (the first
-- time), for the postmortem's time to identify; a confirmed hypothesis is
-- the other way, and is in the hypotheses table already.
ALTER TABLE incidents ADD COLUMN identified_ms INTEGER;
