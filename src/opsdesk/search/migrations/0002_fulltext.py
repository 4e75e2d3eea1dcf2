"""The full-text structures of the database in use (SQLite FTS5 or PostgreSQL tsvector + GIN), the queue
triggers of incidents, the configuration row and the default synonyms."""

from django.db import migrations

from opsdesk.search import ddl

INCIDENT_COLUMNS = ("number", "title", "description", "symptom", "operation_steps", "error_message",
                    "affected_system", "category_id", "status", "contract_id", "organisation_id", "requester_id",
                    "solution")

DEFAULT_SYNONYMS = [
    "服务器=主机=server",
    "宕机=当机=挂了=down=死机",
    "电脑=计算机=PC=终端=台式机",
    "笔记本=笔记本电脑=laptop",
    "账号=帐号=账户=帐户=用户名",
    "登录=登陆=登入=login",
    "密码=口令=password",
    "网络=网=network",
    "断网=网断了=掉线=上不了网",
    "打印机=打印机器=printer",
    "显示器=屏幕=显示屏",
    "无线=WiFi=wlan",
    "报错=错误=error=异常",
    "卡顿=很卡=很慢",
    "重启=重新启动=reboot",
    "证书=CA证书=UKey",
    "邮箱=邮件=email",
]


def forwards(apps, schema_editor):
    ddl.create_fulltext(schema_editor)
    ddl.add_queue_triggers(schema_editor, kind="incident", table="incidents_incident", columns=INCIDENT_COLUMNS)
    SearchConfig = apps.get_model("search", "SearchConfig")
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    SearchConfig.objects.get_or_create(pk=1, defaults={"version": 1})
    for terms in DEFAULT_SYNONYMS:
        SynonymGroup.objects.get_or_create(terms=terms)
    # Incidents written before this migration: `opsdesk manage search_rebuild` indexes them.


def backwards(apps, schema_editor):
    ddl.drop_queue_triggers(schema_editor, kind="incident", table="incidents_incident")
    ddl.drop_fulltext(schema_editor)


class Migration(migrations.Migration):
    # After every incidents migration of its time: on SQLite, a migration that alters the incidents table
    # rebuilds it, and a rebuilt table has lost its triggers. Without this, a new app depending on the latest
    # incidents migration could have the plan put this one between incidents 0001 and 0002 (it did once).
    # A later incidents migration that rebuilds the table must add the queue triggers again (ddl.py).
    dependencies = [
        ("search", "0001_initial"),
        ("incidents", "0005_ratings_calls"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
