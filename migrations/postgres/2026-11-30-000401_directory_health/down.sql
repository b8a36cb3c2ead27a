DROP TABLE directory_health;
