-- The dispatcher looks for events to fan out on every wake-up (after every SCIM write and
-- every delivery attempt). Only the few undispatched, unheld events belong in that search: not
-- the dispatched majority, nor the thousands a mass-deprovisioning hold can keep. Queries
-- write the predicate as literal NOTs (no bound parameters) so that both planners can use it.
CREATE INDEX events_undispatched ON events(created_at, id) WHERE NOT dispatched AND NOT held;
