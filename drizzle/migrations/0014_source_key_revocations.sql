CREATE TABLE "source_key_revocations" (
	"key" varchar(64) PRIMARY KEY NOT NULL,
	"source" varchar(50) NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- A secret's key is the hex SHA-256 of its stored (encrypted) form, as `secretKey` computes it.
-- Records when `stored` stopped being valid; an earlier time recorded before wins.
CREATE OR REPLACE FUNCTION revoke_source_key(source text, stored text, until timestamptz)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO source_key_revocations (key, source, revoked_at)
	VALUES (encode(sha256(convert_to(stored, 'UTF8')), 'hex'), source, until)
	ON CONFLICT (key) DO UPDATE SET revoked_at = least(source_key_revocations.revoked_at, EXCLUDED.revoked_at)
$$;
--> statement-breakpoint
-- Whenever a row of `sources` changes or goes, each secret it held is valid until: the current one
-- for good, the previous one until its grace ends. A secret whose validity the change shortens —
-- rotated away (valid until the new grace ends, or now), its grace cut short or cleared, its
-- source deleted — is revoked from then on. Plain secrets (stored before encryption; sealed in
-- place when first read, which is no revocation) have no key and are skipped.
CREATE OR REPLACE FUNCTION sources_revoke_keys()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	stored text;
	old_until timestamptz;
	new_until timestamptz;
BEGIN
	FOR i IN 1..2 LOOP
		IF i = 1 THEN
			stored := OLD.secret;
			old_until := 'infinity';
		ELSE
			stored := OLD.previous_secret;
			old_until := coalesce(OLD.previous_secret_expires_at, now());
		END IF;
		CONTINUE WHEN stored IS NULL OR stored NOT LIKE 'enc:v1:%';
		IF TG_OP = 'DELETE' THEN
			new_until := now();
		ELSIF stored = NEW.secret THEN
			new_until := 'infinity';
		ELSIF stored = NEW.previous_secret THEN
			new_until := coalesce(NEW.previous_secret_expires_at, now());
		ELSE
			new_until := now();
		END IF;
		-- (a previous secret cleared after its grace ended was recorded when it was rotated away)
		IF new_until < old_until THEN
			PERFORM revoke_source_key(OLD.name, stored, new_until);
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sources_revoke_keys
	AFTER UPDATE OF secret, previous_secret, previous_secret_expires_at OR DELETE ON sources
	FOR EACH ROW EXECUTE FUNCTION sources_revoke_keys();
--> statement-breakpoint
-- Secrets already in their grace period end when it does.
SELECT revoke_source_key(name, previous_secret, coalesce(previous_secret_expires_at, now()))
  FROM sources WHERE previous_secret LIKE 'enc:v1:%';
