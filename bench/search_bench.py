"""Search benchmark: generate N incidents from varied templates, index them, time queries.

    OPSDESK_DATA_DIR=bench/out/search-sqlite uv run python bench/search_bench.py 20000
    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/search_bench uv run python bench/search_bench.py 20000

Runs the migrations, creates (once) two client organisations with a contract, an agent and 200 requesters
each, and adds N incidents (bulk inserts; the triggers queue them). Then it rebuilds the incident index and
reports the index rate (rows/s: segmentation, pinyin and the full-text insert together), and runs a set of
queries (words, codes, IP addresses, synonyms, pinyin typos) as an agent (all incidents of a contract) and as
a requester (only their own), reporting p50/p95/max latency of `search()` (in-process: no HTTP) and the
number of hits. `--json` prints the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

SYSTEMS = ["电子税务局", "金税三期", "OA系统", "财务系统", "用友U8", "金蝶K3", "社保业务系统", "公积金系统", "邮件系统",
           "VPN", "门户网站", "视频会议系统", "档案管理系统", "人事系统", "Oracle数据库", "MySQL", "WebLogic中间件"]
DEVICES = ["打印机", "扫描仪", "复印机", "显示器", "电脑", "笔记本", "服务器", "交换机", "路由器", "防火墙", "无线AP",
           "UPS", "存储阵列", "虚拟机", "一体机", "税控盘", "UKey"]
PROBLEMS = ["无法打印", "卡纸", "无法开机", "蓝屏", "黑屏", "死机", "宕机", "运行很慢", "无法连接", "频繁掉线",
            "无法登录", "密码忘记", "账号被锁定", "证书过期", "报错", "数据无法保存", "页面打不开", "CPU使用率过高",
            "磁盘空间不足", "内存溢出", "网络不通", "丢包严重", "无法上网", "更新失败", "显示乱码"]
ERRORS = ["ORA-00600", "ORA-12541", "ORA-01017", "0x0000007B", "0x000000D1", "HTTP 500", "HTTP 404", "错误 809",
          "错误代码 651", "E-1024", "ERR_CONNECTION_RESET", "Error 1045", "java.lang.OutOfMemoryError", ""]
PLACES = ["三楼财务室", "办税服务厅", "局长办公室", "二楼会议室", "信息中心机房", "档案室", "一楼大厅", "稽查局"]
TEMPLATES = [
    ("{place}的{device}{problem}", "{place}反映{device}{problem}，影响正常办公。{err}"),
    ("{system}{problem}", "用户使用{system}时{problem}，提示 {err}，已尝试重启无效。"),
    ("{device}故障：{problem}", "{device}（IP {ip}）{problem}，请尽快派人到{place}处理。"),
    ("{system} {err}", "登录{system}后报错 {err}，多名用户受影响，{device}运行正常。"),
    ("咨询：{system}如何{action}", "用户来电咨询{system}如何{action}，已电话指导。"),
    ("{device}{problem}，急", "{place}的{device}从早上开始{problem}，Win10 系统，{err}"),
]
ACTIONS = ["重置密码", "申请权限", "修改个人信息", "导出报表", "安装证书", "配置打印机", "连接VPN", "清理缓存"]
QUERIES = {
    "word": ["打印机", "打印", "蓝屏", "卡纸", "无法登录", "证书过期", "磁盘空间", "会议室 显示器", "网络不通",
             "财务系统 报错", "电子税务局", "内存溢出", "重置密码"],
    "code": ["ORA-00600", "0x0000007B", "HTTP 500", "192.168.10.25", "Win10", "CPU使用率", "ORA-12541", "错误 809"],
    "synonym": ["主机挂了", "服务器当机", "PC 蓝屏", "帐号锁定", "登陆不了", "终端 死机", "口令 忘记"],
    "typo": ["秘码忘记", "证数过期", "打印几卡纸", "显示气黑屏", "交换几故障", "路有器"],
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("count", type=int, help="incidents to add")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--rounds", type=int, default=5, help="times each query runs per viewer")
    p.add_argument("--batch", type=int, default=1000, help="rebuild batch size")
    p.add_argument("--no-rebuild", action="store_true",
                   help="query the index as it is (e.g. the one search_eval.py built at 1,000,000 incidents)")
    p.add_argument("--json", action="store_true")
    return p.parse_args()


def setup_world():  # type: ignore[no-untyped-def]
    from opsdesk.accounts.models import Contract, Organisation, RoleGrant, User

    orgs, agents, requesters, contracts = [], [], [], []
    for code, name in (("bench-a", "基准测试单位甲"), ("bench-b", "基准测试单位乙")):
        org, _ = Organisation.objects.get_or_create(code=code, defaults={"name": name})
        contract, _ = Contract.objects.get_or_create(code=f"{code.upper()}-C", defaults={
            "name": f"{name}运维服务", "organisation": org})
        agent, _ = User.objects.get_or_create(username=f"{code}-agent", defaults={"full_name": "坐席"})
        RoleGrant.objects.get_or_create(user=agent, role="agent", contract=contract)
        reqs = []
        for i in range(200):
            user, _ = User.objects.get_or_create(username=f"{code}-req{i}", defaults={
                "full_name": f"用户{i}", "organisation": org})
            reqs.append(user)
        RoleGrant.objects.bulk_create([RoleGrant(user=u, role="requester", contract=contract) for u in reqs],
                                      ignore_conflicts=True)
        orgs.append(org)
        agents.append(agent)
        requesters.append(reqs)
        contracts.append(contract)
    return orgs, contracts, agents, requesters


def generate(n: int, rng: random.Random, contracts, requesters, agents) -> float:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from opsdesk.incidents.models import Incident

    start = Incident.objects.count()
    rows = []
    t0 = time.perf_counter()
    for i in range(n):
        k = rng.randrange(2)
        title_t, body_t = rng.choice(TEMPLATES)
        values = {"place": rng.choice(PLACES), "device": rng.choice(DEVICES), "problem": rng.choice(PROBLEMS),
                  "system": rng.choice(SYSTEMS), "err": rng.choice(ERRORS), "action": rng.choice(ACTIONS),
                  "ip": f"192.168.{rng.randrange(1, 30)}.{rng.randrange(2, 250)}"}
        rows.append(Incident(number=f"INC-BENCH-{start + i:08d}", title=title_t.format(**values)[:200],
                             description=body_t.format(**values), error_message=values["err"],
                             affected_system=values["system"], contract=contracts[k],
                             organisation_id=contracts[k].organisation_id, requester=rng.choice(requesters[k]),
                             created_by=agents[k], status=rng.choice(["new", "accepted", "in_progress", "closed"])))
        if len(rows) == 2000:
            with transaction.atomic():
                Incident.objects.bulk_create(rows)
            rows = []
    if rows:
        with transaction.atomic():
            Incident.objects.bulk_create(rows)
    return time.perf_counter() - t0


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from opsdesk.search.models import SearchEntry, SearchPending
    from opsdesk.search.selectors import SearchFilters, search
    from opsdesk.search.services import search_rebuild

    rng = random.Random(args.seed)
    _orgs, contracts, agents, requesters = setup_world()
    gen_s = generate(args.count, rng, contracts, requesters, agents)
    seconds, rate = 0.0, 0.0
    if not args.no_rebuild:
        SearchPending.objects.all().delete()  # the rebuild below indexes everything, timed
        [result] = search_rebuild(kinds=["incident"], batch_size=args.batch)
        seconds, rate = result.seconds, result.rate
    indexed = SearchEntry.objects.filter(kind="incident").count()
    out: dict = {"vendor": connection.vendor, "incidents_added": args.count, "indexed": indexed,
                 "generate_seconds": round(gen_s, 1), "index_seconds": round(seconds, 1),
                 "index_rows_per_second": round(rate), "queries": {}}
    viewers = {"agent": agents[0], "requester": requesters[0][0]}
    for viewer, user in viewers.items():
        for kind, queries in QUERIES.items():
            times, hits = [], []
            for q in queries:
                search(visible_to=user, filters=SearchFilters(q=q, limit=20))  # warm
            for _round in range(args.rounds):
                for q in queries:
                    t = time.perf_counter()
                    found = search(visible_to=user, filters=SearchFilters(q=q, limit=20))
                    times.append((time.perf_counter() - t) * 1000)
                    hits.append(len(found))
            times.sort()
            out["queries"][f"{viewer}/{kind}"] = {
                "n": len(times), "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 2), "max_ms": round(times[-1], 2),
                "mean_hits": round(sum(hits) / len(hits), 1)}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{out['vendor']}: +{args.count} incidents ({indexed} indexed) generated in {out['generate_seconds']} s; "
              f"index rebuilt in {out['index_seconds']} s = {out['index_rows_per_second']} rows/s")
        for name, d in out["queries"].items():
            print(f"  {name:20} n={d['n']:4} p50={d['p50_ms']:7.2f} ms  p95={d['p95_ms']:7.2f} ms  "
                  f"max={d['max_ms']:7.2f} ms  hits≈{d['mean_hits']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
