-- Each service owns its own database (run once by the postgres image on first start).
CREATE DATABASE loop311_intake OWNER loop311;
CREATE DATABASE loop311_routing OWNER loop311;
CREATE DATABASE loop311_sla OWNER loop311;
CREATE DATABASE loop311_notify OWNER loop311;
