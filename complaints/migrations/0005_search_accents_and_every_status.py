"""Accent-insensitive search over every status: the ``complaints_english`` text search
configuration (English with ``unaccent`` where the server has it), every complaint's words
indexed again with it (the consumer's name and e-mail included), text indexes over every
status beside the active queue's, and the receipt index keyed like a keyset page.

The extension and the configuration live once in the ``public`` schema, which is on every
tenant's search path. A server without ``unaccent`` (the embedded development server) gets
the configuration without it: search works there, without folding accents; installing the
extension later and migrating again (or running this block by hand) adds the folding.
"""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models


CONFIGURATION = """
DO $$
DECLARE
    dictionary text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
        BEGIN
            CREATE EXTENSION unaccent SCHEMA public;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'unaccent could not be created: search will not fold accents';
        END;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
        WHERE c.cfgname = 'complaints_english' AND n.nspname = 'public'
    ) THEN
        CREATE TEXT SEARCH CONFIGURATION public.complaints_english (COPY = pg_catalog.english);
    END IF;
    SELECT quote_ident(n.nspname) || '.unaccent' INTO dictionary
    FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
    WHERE d.dictname = 'unaccent' LIMIT 1;
    IF dictionary IS NOT NULL THEN
        EXECUTE format(
            'ALTER TEXT SEARCH CONFIGURATION public.complaints_english '
            'ALTER MAPPING FOR hword, hword_part, word WITH %s, english_stem',
            dictionary
        );
    END IF;
END
$$;
"""

# The words of every complaint again, as ComplaintQuerySet.refresh_search indexes them.
REINDEX = """
UPDATE complaints_complaint AS c SET
    search_vector =
        setweight(to_tsvector('complaints_english', coalesce(c.subject, '')), 'A')
        || setweight(to_tsvector('complaints_english', coalesce(u.full_name, '')), 'A')
        || setweight(to_tsvector('complaints_english', coalesce(u.email, '')), 'A')
        || setweight(to_tsvector('complaints_english', coalesce(c.description, '')), 'B')
        || setweight(to_tsvector('complaints_english', coalesce((
            SELECT string_agg(e.body, E'\\n') FROM complaints_event e
            WHERE e.complaint_id = c.id AND e.kind = 'reply' AND NOT e.is_internal
        ), '')), 'C'),
    internal_search_vector = to_tsvector('complaints_english', coalesce((
        SELECT string_agg(e.body, E'\\n') FROM complaints_event e
        WHERE e.complaint_id = c.id AND e.kind = 'note' AND e.is_internal
    ), ''))
FROM accounts_user AS u
WHERE u.id = c.consumer_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0004_draft'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(CONFIGURATION, migrations.RunSQL.noop),
        migrations.RunSQL(REINDEX, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name='complaint',
            name='complaint_received_idx',
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='complaint_search_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(fields=['internal_search_vector'], name='complaint_internal_search_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['received_at', 'id'], name='complaint_received_idx'),
        ),
    ]
