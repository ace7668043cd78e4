-- One database per Fengqiao service (each owns its tables), plus Temporal's two.
CREATE DATABASE portal;
CREATE DATABASE disputes;
CREATE DATABASE appointments;
CREATE DATABASE points;
CREATE DATABASE notifications;
