"""Write protocol/seed/villages.json, the illustrative village registry, from the table below.

Run: python tools/make_seed_villages.py   (the output is committed; rerunning reproduces it)
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "protocol" / "seed" / "villages.json"

NOTE = (
    "Illustrative data: an invented county (望山县) shaped like the one in the source "
    "(4 towns, 5 subdistricts, 1 high-tech zone, 76 villages and communities, 51 with an "
    "agent). Names and codes are not real places."
)

# Matters only rural windows handle: farm-machinery and farmland subsidies, land transfer
# filing, rural homestead building, rural dilapidated-house renovation.
RURAL_ONLY = ["AGR-001", "AGR-002", "AGR-003", "HOU-001", "HOU-002"]

# (division code, name, kind, [(unit id, name, has_agent, urban core)])
# Communities (社区) have full-time staff, so no agent; remote villages have one.
DIVISIONS: list[tuple[str, str, str, list[tuple[str, str, bool, bool]]]] = [
    (
        "qingshui-zhen",
        "清水镇",
        "town",
        [
            ("qingshui-shequ", "清水社区", False, False),
            ("dongjie-cun", "东街村", True, False),
            ("xijie-cun", "西街村", True, False),
            ("liutang-cun", "柳塘村", True, False),
            ("daping-cun", "大坪村", True, False),
            ("fenglin-cun", "枫林村", True, False),
            ("shimen-cun", "石门村", True, False),
            ("taoyuan-cun", "桃源村", True, False),
            ("gaokan-cun", "高坎村", True, False),
            ("shangba-cun", "上坝村", True, False),
            ("xiaba-cun", "下坝村", True, False),
            ("longtan-cun", "龙潭村", True, False),
        ],
    ),
    (
        "shiqiao-zhen",
        "石桥镇",
        "town",
        [
            ("shiqiao-shequ", "石桥社区", False, False),
            ("xinmin-cun", "新民村", True, False),
            ("shuanghe-cun", "双河村", True, False),
            ("shanmu-cun", "杉木村", True, False),
            ("changling-cun", "长岭村", True, False),
            ("huangni-cun", "黄泥村", True, False),
            ("zhuyuan-cun", "竹园村", True, False),
            ("qingshan-cun", "青山村", True, False),
            ("maan-cun", "马鞍村", True, False),
            ("jinjing-cun", "金井村", True, False),
            ("chayuan-cun", "茶园村", True, False),
        ],
    ),
    (
        "yangliu-zhen",
        "杨柳镇",
        "town",
        [
            ("yangliu-shequ", "杨柳社区", False, False),
            ("hongxing-cun", "红星村", True, False),
            ("tuanjie-cun", "团结村", True, False),
            ("baiguo-cun", "白果村", True, False),
            ("shuikou-cun", "水口村", True, False),
            ("nanmu-cun", "楠木村", True, False),
            ("liangting-cun", "凉亭村", True, False),
            ("huaqiao-cun", "花桥村", True, False),
            ("shaping-cun", "沙坪村", True, False),
            ("lianhua-cun", "莲花村", True, False),
        ],
    ),
    (
        "baisha-zhen",
        "白沙镇",
        "town",
        [
            ("baisha-shequ", "白沙社区", False, False),
            ("hekou-cun", "河口村", True, False),
            ("songlin-cun", "松林村", True, False),
            ("tianba-cun", "田坝村", True, False),
            ("heming-cun", "鹤鸣村", True, False),
            ("yantou-cun", "岩头村", True, False),
            ("xinqiao-cun", "新桥村", True, False),
            ("lizi-cun", "栗子村", True, False),
            ("lihua-cun", "梨花村", True, False),
        ],
    ),
    (
        "chengguan-jiedao",
        "城关街道",
        "subdistrict",
        [
            ("nanmen-shequ", "南门社区", False, True),
            ("beimen-shequ", "北门社区", False, True),
            ("wenmiao-shequ", "文庙社区", False, True),
            ("fuqian-shequ", "府前社区", False, True),
            ("chengjiao-cun", "城郊村", False, False),
            ("yaowan-cun", "窑湾村", True, False),
        ],
    ),
    (
        "dongcheng-jiedao",
        "东城街道",
        "subdistrict",
        [
            ("donghu-shequ", "东湖社区", False, True),
            ("chaoyang-shequ", "朝阳社区", False, True),
            ("jianshe-shequ", "建设社区", False, False),
            ("heping-cun", "和平村", False, False),
            ("tangfang-cun", "塘坊村", True, False),
            ("qishan-cun", "旗山村", True, False),
        ],
    ),
    (
        "xicheng-jiedao",
        "西城街道",
        "subdistrict",
        [
            ("xiguan-shequ", "西关社区", False, False),
            ("jinxiu-shequ", "锦绣社区", False, False),
            ("cuiping-shequ", "翠屏社区", False, False),
            ("yangjia-cun", "杨家村", False, False),
            ("caiyuan-cun", "菜园村", False, False),
            ("sanhe-cun", "三合村", True, False),
        ],
    ),
    (
        "nanhu-jiedao",
        "南湖街道",
        "subdistrict",
        [
            ("nanhu-shequ", "南湖社区", False, False),
            ("hubin-shequ", "湖滨社区", False, False),
            ("yugang-cun", "渔港村", True, False),
            ("hetang-cun", "荷塘村", True, False),
            ("zhoutou-cun", "洲头村", True, False),
        ],
    ),
    (
        "beishan-jiedao",
        "北山街道",
        "subdistrict",
        [
            ("beishan-shequ", "北山社区", False, False),
            ("wangyue-shequ", "望岳社区", False, False),
            ("linchang-cun", "林场村", True, False),
            ("quanshui-cun", "泉水村", True, False),
            ("aoshang-cun", "坳上村", True, False),
        ],
    ),
    (
        "gaoxin-qu",
        "望山高新技术产业开发区",
        "high_tech_zone",
        [
            ("kechuang-shequ", "科创社区", False, True),
            ("zhigu-shequ", "智谷社区", False, True),
            ("yuanqu-shequ", "园区社区", False, False),
            ("jinqiao-cun", "金桥村", True, False),
            ("wuli-cun", "五里村", True, False),
            ("hengtang-cun", "横塘村", True, False),
        ],
    ),
]


def build() -> dict[str, object]:
    villages = []
    for division, _name, _kind, members in DIVISIONS:
        for unit_id, name, has_agent, urban_core in members:
            entry: dict[str, object] = {
                "unit_id": unit_id,
                "name": name,
                "kind": "community" if name.endswith("社区") else "village",
                "division": division,
                "has_agent": has_agent,
            }
            if urban_core:
                entry["matters_excluded"] = RURAL_ONLY
            villages.append(entry)
    return {
        "_note": NOTE,
        "schema_version": 1,
        "county": {"code": "wangshan-xian", "name": "望山县"},
        "divisions": [{"code": c, "name": n, "kind": k} for c, n, k, _ in DIVISIONS],
        "villages": villages,
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(OUT)


if __name__ == "__main__":
    main()
