"""Your own data: points in the plane with their labels (or targets), the train/test split they keep,
and the ways they travel: a CSV file, a link (the URL) and the model file.

``UserData`` is frozen and hashable (it is a field of ``TrainingConfig``): ``x1, x2, values`` are tuples of
floats of one length n, ``train`` a tuple of n bools (True: a training point; the order of the points is
kept, so the training rows are ``train_points`` in the order they appear here). ``classes`` is the number
of classes (2..MAX_CLASSES; labels are 0..classes-1) or 0 for regression (real targets).

Limits (README, "Your own data"): at most MAX_USER_POINTS points and MAX_CSV_BYTES per file; at least one
training and one test point; points inside the plane, [-DOMAIN_HALF_WIDTH, DOMAIN_HALF_WIDTH]^2 (a file's
points outside it are refused, naming the row: clipping would silently move someone's data); regression
targets within +-MAX_ABS_TARGET. The app keeps coordinates to 0.01 (``GRID``: finer than a pixel of the
plane) and targets to float32 precision, which is what a link can carry exactly.

Every way in raises ``UserDataError`` (a ValueError) with a message a user can act on: CSV rows are numbered
as a spreadsheet numbers them (the header is row 1), columns by letter and name.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from playground.data.datasets import DOMAIN_HALF_WIDTH, MAX_CLASSES, MIN_CLASSES

MAX_USER_POINTS = 2000  # as many as a generated dataset can have
MIN_USER_POINTS = 2  # one training and one test point
MAX_CSV_BYTES = 100_000  # 2,000 rows of "x1,x2,label,split" take about 45 KB
MAX_ABS_TARGET = 1000.0
GRID = 0.01  # coordinates are kept to 2 decimals
# A link holds all settings in at most config.MAX_QUERY_CHARS (4,000) characters; the points get this many.
MAX_LINK_DATA_CHARS = 3400
LINK_FORMAT_VERSION = 1
CLASS_NAMES = ("orange", "blue", "green", "pink", "amber")  # the plots' Okabe-Ito class colours, in order
PICK_RADIUS = 0.6  # a click picks or erases the nearest point within this distance (the plane is 12 wide)


class UserDataError(ValueError):
    """The data cannot be used; the message says why (row, column) and what to do."""


def _quantize(value: float) -> float:
    return round(round(value / GRID) * GRID, 2) + 0.0  # + 0.0: no -0.0 (it would print as "-0.0")


def _float32(value: float) -> float:
    return float(np.float32(value))


@dataclass(frozen=True)
class UserData:
    """Points the user made: x1, x2: (n,) coordinates; values: (n,) labels 0..classes-1 or real targets
    (classes = 0); train: (n,) True for a training point. ``based_on``: the generated dataset the points
    were first taken from ('' when uploaded); it does not take part in comparisons."""

    x1: tuple[float, ...]
    x2: tuple[float, ...]
    values: tuple[float, ...]
    train: tuple[bool, ...]
    classes: int = 2
    based_on: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("x1", "x2", "values"):
            raw = getattr(self, name)
            try:
                numbers = tuple(float(v) for v in raw)
            except (TypeError, ValueError, OverflowError):
                raise UserDataError(f"user data: {name} must be a sequence of numbers") from None
            object.__setattr__(self, name, numbers)
        try:
            object.__setattr__(self, "train", tuple(bool(v) for v in self.train))
        except TypeError:
            raise UserDataError("user data: train must be a sequence of True/False (True: a training point)") from None
        classes = self.classes
        if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)):
            raise UserDataError(f"user data: classes must be 0 (regression) or {MIN_CLASSES}..{MAX_CLASSES}")
        object.__setattr__(self, "classes", int(classes))
        problems = _data_problems(self)
        if problems:
            raise UserDataError("; ".join(problems))

    def __repr__(self) -> str:  # a config's repr (and an error message quoting it) stays short
        return f"UserData({self.describe()})"

    # ---- what the data implies -----------------------------------------------------------------
    @property
    def problem(self) -> str:
        """ "binary", "multiclass" or "regression"."""
        return "regression" if self.classes == 0 else "binary" if self.classes == 2 else "multiclass"

    def __len__(self) -> int:
        return len(self.x1)

    @property
    def n_train(self) -> int:
        return sum(self.train)

    @property
    def points(self) -> np.ndarray:
        """All points, (n, 2)."""
        return np.column_stack([np.asarray(self.x1, dtype=np.float64), np.asarray(self.x2, dtype=np.float64)])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(train_points (n_train, 2), y_train (n_train,), test_points (n_test, 2), y_test (n_test,)), in order."""
        points, values = self.points, np.asarray(self.values, dtype=np.float64)
        train = np.asarray(self.train, dtype=bool)
        return points[train], values[train], points[~train], values[~train]

    def describe(self) -> str:
        """e.g. '42 points (30 training, 12 test), 2 classes'."""
        kind = "real-valued targets" if self.classes == 0 else f"{self.classes} classes"
        return f"{len(self):,} points ({self.n_train:,} training, {len(self) - self.n_train:,} test), {kind}"

    # ---- edits (each returns new data; the original is unchanged) --------------------------------
    def with_point(self, x1: float, x2: float, value: float, train: bool = True) -> "UserData":
        """One more point at the end (a training point: the last row of train_points)."""
        if len(self) >= MAX_USER_POINTS:
            raise UserDataError(f"There are already {MAX_USER_POINTS:,} points, the most a data set can have.")
        x1, x2 = _quantize(_clip(x1)), _quantize(_clip(x2))
        value = float(value) if self.classes else _float32(max(-MAX_ABS_TARGET, min(MAX_ABS_TARGET, float(value))))
        return UserData(
            self.x1 + (x1,), self.x2 + (x2,), self.values + (value,), self.train + (bool(train),), self.classes,
            self.based_on,
        )  # fmt: skip

    def without_point(self, index: int) -> "UserData":
        """The data without point ``index`` (a row of all the points); refuses to remove the last training
        or the last test point."""
        train = self.train[index]
        if train and self.n_train == 1:
            raise UserDataError("That is the last training point: the network needs at least one to train on.")
        if not train and len(self) - self.n_train == 1:
            raise UserDataError("That is the last test point: at least one is kept to measure the test loss.")

        def cut(items: tuple) -> tuple:
            return items[:index] + items[index + 1 :]

        return UserData(cut(self.x1), cut(self.x2), cut(self.values), cut(self.train), self.classes, self.based_on)

    def nearest(self, x1: float, x2: float, radius: float = PICK_RADIUS, train_only: bool = False) -> int | None:
        """Row (of all the points) of the point nearest to (x1, x2) within ``radius``; None when none is."""
        distances = np.hypot(np.asarray(self.x1) - x1, np.asarray(self.x2) - x2)
        if train_only:
            distances[~np.asarray(self.train, dtype=bool)] = np.inf
        if not distances.size:
            return None
        row = int(np.argmin(distances))
        return row if distances[row] <= radius else None

    def train_row(self, index: int) -> int | None:
        """Which row of train_points point ``index`` is (None: a test point)."""
        return sum(self.train[:index]) if self.train[index] else None


def _clip(value: float) -> float:
    return max(-DOMAIN_HALF_WIDTH, min(DOMAIN_HALF_WIDTH, float(value)))


def _data_problems(data: UserData) -> list[str]:
    n = len(data.x1)
    if not (len(data.x2) == len(data.values) == len(data.train) == n):
        return [
            f"user data: x1, x2, values and train must have one entry per point, got {n}, {len(data.x2)}, "
            f"{len(data.values)} and {len(data.train)}"
        ]
    problems = []
    if not (data.classes == 0 or MIN_CLASSES <= data.classes <= MAX_CLASSES):
        problems.append(
            f"user data: classes must be 0 (regression) or {MIN_CLASSES} to {MAX_CLASSES}, got {data.classes}"
        )
    if n > MAX_USER_POINTS:
        problems.append(f"user data: {n:,} points, at most {MAX_USER_POINTS:,} are allowed")
    if data.n_train < 1 or n - data.n_train < 1:
        problems.append(
            f"user data needs at least one training and one test point, got {data.n_train} and {n - data.n_train}"
        )
    coordinates = np.asarray(data.x1 + data.x2, dtype=np.float64)
    if not np.all(np.isfinite(coordinates)) or np.any(np.abs(coordinates) > DOMAIN_HALF_WIDTH):
        problems.append(f"user data: every point must lie in the plane, x1 and x2 from -{DOMAIN_HALF_WIDTH:g} to "
                        f"{DOMAIN_HALF_WIDTH:g}")  # fmt: skip
    values = np.asarray(data.values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        problems.append("user data: every value must be a finite number")
    elif data.classes == 0:
        if np.any(np.abs(values) > MAX_ABS_TARGET):
            problems.append(f"user data: regression targets must be from -{MAX_ABS_TARGET:g} to {MAX_ABS_TARGET:g}")
    elif MIN_CLASSES <= data.classes <= MAX_CLASSES:
        if np.any((values != np.round(values)) | (values < 0) | (values >= data.classes)):
            problems.append(f"user data: labels must be whole numbers from 0 to {data.classes - 1}")
    # One class left is allowed here (erasing every orange point is an edit a student may make); an uploaded
    # file with a single class is refused by parse_csv, which says why.
    return problems


def from_arrays(
    train_points: np.ndarray,
    y_train: np.ndarray,
    test_points: np.ndarray,
    y_test: np.ndarray,
    classes: int,
    based_on: str = "",
) -> tuple[UserData, int]:
    """User data from a generated dataset's split (points (n, 2), labels (n,)): the training points first,
    then the test points, each in their order (so a row of train_points stays that row). Points outside the
    plane (noise can push them out) are moved onto its edge and coordinates kept to 0.01. Returns the data
    and how many points were moved onto the edge."""
    points = np.vstack([train_points, test_points]).astype(np.float64)
    outside = int(np.sum(np.any(np.abs(points) > DOMAIN_HALF_WIDTH, axis=1)))
    points = np.round(np.clip(points, -DOMAIN_HALF_WIDTH, DOMAIN_HALF_WIDTH) / GRID) * GRID
    values = np.concatenate([y_train, y_test]).astype(np.float64)
    if classes == 0:
        values = np.clip(values, -MAX_ABS_TARGET, MAX_ABS_TARGET).astype(np.float32).astype(np.float64)
    train = [True] * len(y_train) + [False] * len(y_test)
    data = UserData(
        tuple((np.round(points[:, 0], 2) + 0.0).tolist()), tuple((np.round(points[:, 1], 2) + 0.0).tolist()),
        tuple(values.tolist()), tuple(train), classes, based_on,
    )  # fmt: skip
    return data, outside


# ---- CSV -------------------------------------------------------------------------------------------
COLUMNS = ("x1", "x2", "label", "target", "split")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _shown(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")  # also drops a byte-order mark
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise UserDataError(
            f"The file is not a text (UTF-8) CSV file: byte {error.start + 1:,} (row {row:,}) cannot be read as text. "
            "Save it from your spreadsheet as 'CSV UTF-8'."
        ) from None


def _delimiter(header_line: str) -> str:
    """Comma; or semicolon / tab when the header uses those (spreadsheets set to a decimal comma do)."""
    for delimiter in (",", ";", "\t"):
        if delimiter in header_line:
            return delimiter
    return ","


def csv_template(problem: str = "binary") -> str:
    """A small example file to fill in: the header and a few points (a regression one for "regression")."""
    if problem == "regression":
        rows = [(-4.0, -4.0, -0.67), (-2.0, 3.0, 0.08), (0.0, 0.0, 0.0), (3.0, 1.5, 0.38), (4.5, 4.0, 0.71)]
        rows += [(-3.0, 2.0, -0.08), (2.0, -2.0, 0.0)]
        third = "target"
    else:
        rows = [(-3.0, -3.0, 0), (-2.5, -1.5, 0), (-1.5, -3.5, 0), (2.5, 2.0, 1), (3.0, 3.5, 1), (1.5, 2.5, 1)]
        rows += [(-2.0, -2.0, 0), (2.0, 3.0, 1)]
        third = "label"
    splits = ["train"] * (len(rows) - 2) + ["test"] * 2
    lines = [f"x1,x2,{third},split"] + [f"{a:g},{b:g},{c:g},{s}" for (a, b, c), s in zip(rows, splits)]
    return "\n".join(lines) + "\n"


def _number_text(value: float, float32: bool = False) -> str:
    """The shortest text that reads back as exactly ``value``."""
    if float32 and _float32(value) == value:
        return str(np.float32(value))
    return repr(float(value))


def to_csv(data: UserData) -> str:
    """CSV text of the data: x1, x2, label (or target), split (train/test): ``parse_csv`` gives it back."""
    third = "target" if data.classes == 0 else "label"
    lines = [f"x1,x2,{third},split"]
    for x1, x2, value, train in zip(data.x1, data.x2, data.values, data.train):
        shown = _number_text(value, float32=True) if data.classes == 0 else str(int(value))
        lines.append(f"{_number_text(x1)},{_number_text(x2)},{shown},{'train' if train else 'test'}")
    return "\n".join(lines) + "\n"


def parse_csv(data: bytes | str, train_fraction: float = 0.5, seed: int = 0) -> UserData:
    """Read an uploaded CSV: a header row naming x1, x2 and label (classification) or target (regression),
    optionally split (train/test; without it the points are split at random: ``train_fraction`` of them
    train, drawn with ``seed``). Comma, semicolon or tab separated (with ';' or tab a decimal comma is
    read too); a byte-order mark, CRLF line ends, blank lines and quoted cells are fine.

    Refuses (UserDataError, naming the row and column) anything else: see the module notes for the limits.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_CSV_BYTES:
        raise UserDataError(
            f"The file is {len(data) / 1000:,.0f} KB; a data file may have at most {MAX_CSV_BYTES // 1000} KB "
            f"({MAX_USER_POINTS:,} points)."
        )
    text = _decode(data)
    if not text.strip():
        raise UserDataError("The file is empty. It should start with the header row x1,x2,label (see the template).")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = _delimiter(first)
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise UserDataError(f"The file is not a readable CSV file ({error}).") from None
    header_row = next((index for index, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_row is None:
        raise UserDataError("The file has no header row: it should start with x1,x2,label (see the template).")
    columns = _header(rows[header_row], header_row + 1)
    third = "label" if "label" in columns else "target"
    classification = third == "label"
    width = len(rows[header_row])
    parsed: list[tuple[float, float, float, bool | None]] = []
    for index in range(header_row + 1, len(rows)):
        row, number = rows[index], index + 1  # rows as a spreadsheet numbers them
        cells = [cell.strip() for cell in row]
        while len(cells) > width and not cells[-1]:  # a trailing separator
            cells.pop()
        if not any(cells):
            continue  # a blank line
        if len(parsed) == MAX_USER_POINTS:
            raise UserDataError(
                f"Row {number:,} is point number {MAX_USER_POINTS + 1:,}: a data set may have at most "
                f"{MAX_USER_POINTS:,} points. Remove some rows and upload again."
            )
        if len(cells) != width:
            raise UserDataError(
                f"Row {number:,} has {len(cells)} value{'s' if len(cells) != 1 else ''}, but the header (row "
                f"{header_row + 1}) has {width} columns ({', '.join(columns)})."
            )
        x1 = _coordinate(cells, columns, "x1", number, delimiter)
        x2 = _coordinate(cells, columns, "x2", number, delimiter)
        value = _number(cells, columns, third, number, delimiter)
        if classification:
            if value != round(value) or not 0 <= value < MAX_CLASSES:
                raise UserDataError(
                    f"Row {number:,}, {_where(columns, 'label')}: {_shown(cells[columns.index('label')])} is not a "
                    f"class. Labels are whole numbers from 0 to {MAX_CLASSES - 1} (0 = orange, 1 = blue, ...); for "
                    "real-valued targets name the column 'target'."
                )
        elif abs(value) > MAX_ABS_TARGET:
            raise UserDataError(
                f"Row {number:,}, {_where(columns, 'target')}: {value:g} is too large; targets must be from "
                f"-{MAX_ABS_TARGET:g} to {MAX_ABS_TARGET:g}."
            )
        split = None
        if "split" in columns:
            word = cells[columns.index("split")].lower()
            if word not in ("train", "test"):
                raise UserDataError(
                    f"Row {number:,}, {_where(columns, 'split')}: {_shown(cells[columns.index('split')])} should be "
                    "'train' or 'test' (or leave the whole split column out)."
                )
            split = word == "train"
        parsed.append((x1, x2, value if classification else _float32(value), split))
    if not parsed:
        raise UserDataError("The file has a header but no points: add one row per point under it.")
    if len(parsed) < MIN_USER_POINTS:
        raise UserDataError(
            f"The file has only one point; at least {MIN_USER_POINTS} are needed (one training, one test)."
        )
    values = [value for _, _, value, _ in parsed]
    if classification and len(set(values)) < 2:
        raise UserDataError(
            f"Every point has label {int(values[0])}: a classifier needs points of at least two classes "
            "(for real-valued targets name the column 'target')."
        )
    if "split" in columns:
        train = [bool(split) for *_, split in parsed]
        if not any(train) or all(train):
            missing = "training" if not any(train) else "test"
            raise UserDataError(
                f"The split column marks no point as {'train' if missing == 'training' else 'test'}: at least one "
                f"{missing} point is needed."
            )
    else:
        train = _random_split(len(parsed), train_fraction, seed)
    classes = int(max(values)) + 1 if classification else 0
    classes = max(classes, MIN_CLASSES) if classification else 0
    return UserData(tuple(p[0] for p in parsed), tuple(p[1] for p in parsed), tuple(values), tuple(train), classes)


def _random_split(n: int, train_fraction: float, seed: int) -> list[bool]:
    """As the generated datasets split (datasets.train_test_split): ``train_fraction`` of n, both parts non-empty."""
    n_train = min(max(int(round(train_fraction * n)), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    train = np.zeros(n, dtype=bool)
    train[order[:n_train]] = True
    return train.tolist()


def _header(row: list[str], number: int) -> list[str]:
    names = [cell.strip().strip('"').strip().lower() for cell in row]
    while names and not names[-1]:
        names.pop()
    expected = "x1,x2,label (or x1,x2,target for regression), optionally with a split column"
    for index, name in enumerate(names):
        if name not in COLUMNS:
            hint = " The first row must be the header" if index == 0 else ""
            raise UserDataError(
                f"Row {number}, column {_column_letter(index)}: {_shown(row[index].strip())} is not a column this "
                f"playground reads.{hint} Expected {expected} (see the template)."
            )
        if names.index(name) != index:
            raise UserDataError(f"Row {number}: the column {name!r} appears twice (columns "
                                f"{_column_letter(names.index(name))} and {_column_letter(index)}).")  # fmt: skip
    for needed in ("x1", "x2"):
        if needed not in names:
            raise UserDataError(f"The header (row {number}) has no {needed!r} column. Expected {expected}.")
    if ("label" in names) == ("target" in names):
        which = "both 'label' and 'target'" if "label" in names else "neither 'label' nor 'target'"
        raise UserDataError(
            f"The header (row {number}) has {which}: name the third column 'label' for classes (0, 1, ...) or "
            "'target' for real values (regression)."
        )
    return names


def _where(columns: list[str], name: str) -> str:
    return f"column {_column_letter(columns.index(name))} ({name})"


def _number(cells: list[str], columns: list[str], name: str, row: int, delimiter: str) -> float:
    text = cells[columns.index(name)]
    readable = text.replace(",", ".") if delimiter != "," else text
    try:
        value = float(readable.replace("_", "x"))  # Python reads 1_000; a spreadsheet does not
    except ValueError:
        what = "empty" if not text else f"{_shown(text)} is not a number"
        raise UserDataError(f"Row {row:,}, {_where(columns, name)}: {what}.") from None
    if not math.isfinite(value):
        raise UserDataError(f"Row {row:,}, {_where(columns, name)}: {_shown(text)} is not a finite number.")
    return value


def _coordinate(cells: list[str], columns: list[str], name: str, row: int, delimiter: str) -> float:
    value = _number(cells, columns, name, row, delimiter)
    if abs(value) > DOMAIN_HALF_WIDTH:
        raise UserDataError(
            f"Row {row:,}, {_where(columns, name)}: {value:g} is outside the plane, which runs from "
            f"-{DOMAIN_HALF_WIDTH:g} to {DOMAIN_HALF_WIDTH:g}. Points are not clipped: scale your data into that "
            "range and upload again."
        )
    return _quantize(value)


# ---- the link (URL) ----------------------------------------------------------------------------------
# Binary, then zlib, then URL-safe base64: a version byte and the class count, then per point a uint32
# (x1 and x2 in hundredths from -6: 11 bits each; the label, 3 bits; train, 1 bit), then for regression
# the targets as float32. Classification: 4 bytes a point (about 600 points fit in a link).
_STEPS = int(round(2 * DOMAIN_HALF_WIDTH / GRID))  # 1200 steps across the plane


def to_url_text(data: UserData) -> str:
    """The data as one URL parameter value (coordinates to 0.01, targets to float32)."""
    steps = np.rint((data.points + DOMAIN_HALF_WIDTH) / GRID).astype(np.uint32)
    steps = np.clip(steps, 0, _STEPS)
    labels = np.zeros(len(data), dtype=np.uint32) if data.classes == 0 else np.asarray(data.values).astype(np.uint32)
    packed = steps[:, 0] | (steps[:, 1] << 11) | (labels << 22) | (np.asarray(data.train, dtype=np.uint32) << 25)
    body = bytes([LINK_FORMAT_VERSION, data.classes]) + packed.astype("<u4").tobytes()
    if data.classes == 0:
        body += np.asarray(data.values, dtype="<f4").tobytes()
    return base64.urlsafe_b64encode(zlib.compress(body, 9)).decode("ascii").rstrip("=")


def fits_in_link(data: UserData) -> bool:
    return len(to_url_text(data)) <= MAX_LINK_DATA_CHARS


def link_capacity(data: UserData) -> int:
    """About how many points of this kind fit in a link (for the message when they do not)."""
    per_point = len(to_url_text(data)) / max(len(data), 1)
    return int(MAX_LINK_DATA_CHARS / max(per_point, 1e-9))


def from_url_text(text: str) -> UserData:
    """Read ``to_url_text``'s output back; UserDataError when it is damaged."""
    if len(text) > 2 * MAX_LINK_DATA_CHARS:
        raise UserDataError("the link's points are longer than a link of this playground makes")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decompressor = zlib.decompressobj()
        body = decompressor.decompress(compressed, 16 * (MAX_USER_POINTS * 8 + 2))
        if decompressor.unconsumed_tail or not decompressor.eof:
            raise ValueError("truncated or too long")
    except (binascii.Error, ValueError, zlib.error):
        raise UserDataError("the link's points are damaged (cut short or changed)") from None
    if len(body) < 2 or body[0] != LINK_FORMAT_VERSION:
        raise UserDataError("the link's points are in a format this version does not read")
    classes = body[1]
    point_bytes = 8 if classes == 0 else 4
    if (len(body) - 2) % point_bytes:
        raise UserDataError("the link's points are damaged (cut short or changed)")
    n = (len(body) - 2) // point_bytes
    packed = np.frombuffer(body, dtype="<u4", count=n, offset=2)
    x1 = (packed & 0x7FF).astype(np.float64) * GRID - DOMAIN_HALF_WIDTH
    x2 = ((packed >> 11) & 0x7FF).astype(np.float64) * GRID - DOMAIN_HALF_WIDTH
    train = ((packed >> 25) & 1).astype(bool)
    if classes == 0:
        values = np.frombuffer(body, dtype="<f4", count=n, offset=2 + 4 * n).astype(np.float64)
    else:
        values = ((packed >> 22) & 0x7).astype(np.float64)
    try:
        return UserData(
            tuple((np.round(x1, 2) + 0.0).tolist()), tuple((np.round(x2, 2) + 0.0).tolist()), tuple(values.tolist()),
            tuple(train.tolist()), int(classes),
        )  # fmt: skip
    except UserDataError as error:
        raise UserDataError(f"the link's points are not valid ({error})") from None


# ---- the model file (JSON) ---------------------------------------------------------------------------
def to_json_value(data: UserData) -> dict:
    """The data as a JSON object: {"classes": K, "based_on": name, "points": [[x1, x2, value, train], ...]}."""
    points = [[x1, x2, v, int(t)] for x1, x2, v, t in zip(data.x1, data.x2, data.values, data.train)]
    return {"classes": data.classes, "based_on": data.based_on, "points": points}


def from_json_value(value) -> UserData:
    """Read ``to_json_value``'s output back; UserDataError naming what is wrong."""
    if not isinstance(value, dict) or not isinstance(value.get("points"), list):
        raise UserDataError("the data should be an object with 'classes' and a list of 'points'")
    points, classes = value["points"], value.get("classes")
    if len(points) > MAX_USER_POINTS:
        raise UserDataError(f"the data has {len(points):,} points, at most {MAX_USER_POINTS:,} are allowed")
    if isinstance(classes, bool) or not isinstance(classes, int):
        raise UserDataError("the data's 'classes' should be 0 (regression) or a number of classes")
    columns: list[list] = [[], [], [], []]
    for index, point in enumerate(points, start=1):
        if (
            not isinstance(point, list)
            or len(point) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
        ):
            raise UserDataError(f"point {index:,} of the data should be [x1, x2, value, 1 for train or 0 for test]")
        for column, item in zip(columns, point):
            column.append(item)
    based_on = value.get("based_on", "")
    return UserData(
        tuple(columns[0]), tuple(columns[1]), tuple(columns[2]), tuple(bool(t) for t in columns[3]), classes,
        based_on if isinstance(based_on, str) else "",
    )  # fmt: skip
