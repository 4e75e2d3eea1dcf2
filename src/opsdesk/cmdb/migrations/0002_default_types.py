"""The configuration-item types of the tenders, with the attributes their items usually carry. Operators add
types and attributes of their own (data, not code)."""

from django.db import migrations


def _a(name, label, kind="text", required=False, choices=None):
    spec = {"name": name, "label": label, "kind": kind, "required": required}
    if choices:
        spec["choices"] = choices
    return spec


TYPES = [
    ("business_system", "业务系统", [_a("system_code", "系统编号"), _a("vendor", "开发厂商"),
                                     _a("users", "用户数", "integer"), _a("go_live", "上线日期", "date")]),
    ("server", "服务器", [_a("hostname", "主机名", required=True), _a("ip", "IP 地址"), _a("model", "型号"),
                          _a("cpu_cores", "CPU 核数", "integer"), _a("memory_gb", "内存 (GB)", "integer"),
                          _a("os", "操作系统"), _a("serial", "序列号"), _a("warranty_until", "保修截止", "date")]),
    ("virtual_machine", "虚拟机", [_a("hostname", "主机名", required=True), _a("ip", "IP 地址"),
                                   _a("cpu_cores", "vCPU", "integer"), _a("memory_gb", "内存 (GB)", "integer"),
                                   _a("os", "操作系统")]),
    ("network_device", "网络设备", [_a("model", "型号"), _a("ip", "管理地址"), _a("serial", "序列号"),
                                    _a("role", "角色", "choice", choices=["核心", "汇聚", "接入", "防火墙", "路由"])]),
    ("storage", "存储", [_a("model", "型号"), _a("capacity_tb", "容量 (TB)", "decimal"), _a("serial", "序列号")]),
    ("database", "数据库", [_a("engine", "数据库类型"), _a("version", "版本"), _a("port", "端口", "integer")]),
    ("middleware", "中间件", [_a("product", "产品"), _a("version", "版本"), _a("port", "端口", "integer")]),
    ("software", "软件", [_a("version", "版本"), _a("licence", "许可证"), _a("licence_until", "许可到期", "date")]),
    ("document", "文档", [_a("doc_number", "文档编号"), _a("version", "版本")]),
    ("line", "线路", [_a("carrier", "运营商"), _a("bandwidth_mbps", "带宽 (Mbps)", "integer"),
                      _a("circuit_id", "电路编号")]),
    ("room", "机房/环境", [_a("address", "地址"), _a("racks", "机柜数", "integer"),
                           _a("ups_minutes", "UPS 后备时间 (分钟)", "integer")]),
]


def forwards(apps, schema_editor):
    CIType = apps.get_model("cmdb", "CIType")
    for code, name, attributes in TYPES:
        CIType.objects.get_or_create(code=code, defaults={"name": name, "attributes": attributes})


def backwards(apps, schema_editor):
    apps.get_model("cmdb", "CIType").objects.filter(code__in=[t[0] for t in TYPES], items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
