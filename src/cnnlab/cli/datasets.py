"""`cnnlab datasets`: the datasets, and whether their files are present and verified."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json
from cnnlab.data import data_root, dataset_spec, dataset_status, list_datasets

EXAMPLES = """\
  cnnlab datasets
      mnist               1x28x28  10 classes      verified   handwritten digits, 60,000 train / 10,000 test ...
      cifar10             3x32x32  10 classes      missing    ...
      air_temperature     grid     forecast        verified   NCEP reanalysis air temperature, 4x daily 2013-2014 ...
  cnnlab datasets --data-dir ~/data --json
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "datasets", "List datasets and whether their files are present and verified.", EXAMPLES, run
    )
    p.add_argument("--data-dir", help="data root (default $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    rows = []
    for name in list_datasets():
        spec = dataset_spec(name)
        status = dataset_status(name, args.data_dir)
        rows.append(
            {
                "name": name,
                "shape": list(spec.in_shape),
                "classes": len(spec.classes),
                "status": status,
                "description": spec.description,
            }
        )
    rows += _gridded_rows(args.data_dir)
    if args.json:
        print_json({"data_root": str(data_root(args.data_dir)), "datasets": rows})
        return 0
    print(f"data root: {data_root(args.data_dir)}")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        short = r["status"] if not r["status"].startswith("missing") else "missing"
        kind = f"{r['classes']:>2} classes" if r["classes"] else r["task"]
        print(
            f"{r['name']:<{width}}  {'x'.join(map(str, r['shape'])) or 'grid':<8} {kind:<14}  "
            f"{short:<9}  {r['description']}"
        )
    problems = [r for r in rows if r["status"].startswith("missing")]
    for r in problems:
        print(f"  {r['name']}: {r['status']}")
    return 0


def _gridded_rows(data_dir) -> list[dict]:
    from cnnlab.geo.gridded import NAMED_GRIDS, named_grid_status
    from cnnlab.geo.tasks import GEO_DATASETS

    rows = []
    for name, description in GEO_DATASETS.items():
        if ":" in name:  # a user's own file, not a named dataset
            continue
        status = named_grid_status(name, data_dir) if name in NAMED_GRIDS else "generated"
        task = "forecast" if name in NAMED_GRIDS else "detect|segment"
        rows.append(
            {"name": name, "shape": [], "classes": 0, "task": task, "status": status, "description": description}
        )
    return rows
