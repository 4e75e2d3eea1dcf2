"""More default synonym groups: the colloquial ways callers describe a failure (登不上 for 登录失败, 导不出来
for 导出失败, 锁了 for 锁定…). Operators change or switch them off in the admin like any group."""

import uuid

from django.db import migrations
from django.db.models import F

COLLOQUIAL_SYNONYMS = [
    "登录失败=登不上=登不进去=登录不了=登录不上=无法登录=进不去系统",
    "打不开=无法打开=无法访问=访问不了=进不去=打不开了",
    "导出失败=导不出=导不出来=导出不了",
    "导入失败=导不进=导不进去=导入不了",
    "上传失败=传不上=传不上去=上传不了",
    "下载失败=下不下来=下载不了",
    "保存失败=存不了=保存不了=存不上=提交不上",
    "锁定=被锁=锁了=锁住=锁死=锁号",
    "卡顿=很卡=很慢=特别卡=太卡=缓慢=反应慢=等半天",
    "过期=到期=失效",
    "乱码=乱字=方框字",
    "没有声音=没声音=没声=无声音",
    "无法开机=开不了机=开不开机=不开机",
    "无法上网=上不了网=没网=没有网=断网",
    "没有反应=没反应=无反应=没响应=无响应",
    "识别不到=不识别=认不出=认不到=读不出=检测不到=找不到设备",
    "连接失败=连不上=无法连接=连接不上",
    "无法打印=打印不了=打不出来=打印不出来",
    "收不到=接收不到=没收到",
    "没有权限=没权限=无权访问=无权限=未授权=权限不足",
    "卡纸=夹纸=卡住纸",
    "升级失败=更新失败=升不了级=更新不了",
    "会话超时=自动退出=自己退出=掉登录=登录超时",
    "不一致=对不上=不一样=有出入",
    "告警=报警=警报",
    "黑屏=没画面=无显示=不显示",
    "验证码=校验码",
    "签章=盖章=电子章=电子印章",
    "兼容性=兼容模式=兼容",
    "丢包=掉包",
    "蓝屏=蓝屏死机",
    "UKey=U盾=USBKey=Key盘",
    "升级=更新=update=upgrade",
]


def forwards(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    SearchConfig = apps.get_model("search", "SearchConfig")
    for terms in COLLOQUIAL_SYNONYMS:
        SynonymGroup.objects.get_or_create(terms=terms)
    SearchConfig.objects.filter(pk=1).update(version=F("version") + 1, stamp=uuid.uuid4().hex)


def backwards(apps, schema_editor):
    apps.get_model("search", "SynonymGroup").objects.filter(terms__in=COLLOQUIAL_SYNONYMS).delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]
    operations = [migrations.RunPython(forwards, backwards)]
