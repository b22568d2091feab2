"""Import work data from the collection system: CSV (UTF-8 / GBK), XLSX, JSON.

See docs/data-formats.md for every record kind and column.
"""

from coaching.ingest.engine import (
    ImportReport,
    Options,
    RowError,
    import_table,
    rejects_path_for,
    run_import,
)
from coaching.ingest.kinds import KINDS, Kind
from coaching.ingest.reader import (
    InputError,
    Mapping,
    Table,
    read_bytes_csv,
    read_json,
    read_path,
)

__all__ = [
    "KINDS",
    "ImportReport",
    "InputError",
    "Kind",
    "Mapping",
    "Options",
    "RowError",
    "Table",
    "import_table",
    "read_bytes_csv",
    "read_json",
    "read_path",
    "rejects_path_for",
    "run_import",
]
