DROP INDEX events_undispatched;
