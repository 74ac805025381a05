"""Small hand-made matters and catalogs for the catalog tests."""

from typing import Any

from protocol.catalog import Catalog, Matter


def matter_data(code: str = "TST-001", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "name": f"测试事项{code}",
        "department": "县测试局",
        "level": "county",
        "delegated": True,
        "area": "elderly",
        "legal_days": 20,
        "promised_days": 5,
        "instant": False,
        "approval": "department",
        "steps_before": ["村级代收", "镇级初审", "部门受理", "部门决定"],
        "steps_after": ["窗口受理", "部门审批", "办结"],
        "materials": [
            {"name": "申请表", "critical": True},
            {"name": "身份证复印件", "waived": True, "waiver_ground": "document_shown"},
        ],
        "slips": ["acceptance_receipt", "completion_notice"],
    }
    data.update(overrides)
    return data


def matter(code: str = "TST-001", **overrides: Any) -> Matter:
    return Matter.model_validate(matter_data(code, **overrides))


def catalog_data(*matters: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {
        "_note": "test catalog",
        "version": version,
        "title": "测试目录",
        "matters": list(matters) or [matter_data()],
    }


def catalog(*matters: dict[str, Any], version: int = 1) -> Catalog:
    return Catalog.model_validate(catalog_data(*matters, version=version))
