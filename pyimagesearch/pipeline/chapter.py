"""Chapters 9 and 10 in one call: build the HDF5 splits -> train AlexNet ->
rank-1 with and without 10 crops -> CNN features -> logistic regression ->
a Kaggle submission, each stage one of the library's own functions
(`pyimagesearch.pipeline.chapterstages`).

Every output goes under one folder (`ChapterPaths`). A stage is skipped when
its outputs are as it left them and its inputs and options are those it
ran with (both recorded in stages.json); an interrupted training resumes
from its checkpoint when its options are unchanged. `report.html` is
rewritten after every stage (`write_report`: read by
`pyimagesearch.pipeline.reportdata`, rendered by `pyimagesearch.pipeline.report`).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from pyimagesearch.errors import ArgumentError
from pyimagesearch.pipeline.chapterstages import (
    STAGE_CLASSES,
    STAGES,
    ChapterPaths,
    ChapterSettings,
    Stage,
    fine_tune_skipped,
    fingerprint,
    value_types,
)
from pyimagesearch.pipeline.records import read_stage_record
from pyimagesearch.utils.checks import MOST, check_image_size, count_problem
from pyimagesearch.utils.files import MAX_MODEL_BYTES, atomic_path, check_input, write_json
from pyimagesearch.utils.locks import output_lock


class StageRecords:
    """stages.json: for each stage, the signature it last started with and,
    once it finished, its outputs' fingerprints, wall time and images."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stages = read_stage_record(path)

    def up_to_date(self, stage: Stage, signature: dict) -> bool:
        entry = self.stages.get(stage.name, {})
        return (
            entry.get("finished") is not None
            and entry.get("signature") == signature
            and entry.get("outputs") == {path: fingerprint(path) for path in stage.outputs()}
        )

    def started_with(self, stage: Stage, signature: dict) -> bool:
        return self.stages.get(stage.name, {}).get("signature") == signature

    def start(
        self, stage: Stage, signature: dict, later: list[Stage], command: list[str] | None
    ) -> None:
        """Record that `stage` starts with `signature`, the settings it uses
        and is given, and the `command` that ran it (None: not run from a
        command line), for the report; and forget every stage of `later`
        that reads what it writes, directly or through another: their
        outputs are no longer current (and the report shows them as not run)."""
        self.stages[stage.name] = {"signature": signature, "finished": None,
                                   "settings": stage.used_settings(),
                                   "given": stage.given_settings()}  # fmt: skip
        if command is not None:
            self.stages[stage.name]["command"] = list(command)
        changed = set(stage.outputs())
        for other in later:
            if changed & set(other.inputs()):
                self.stages.pop(other.name, None)
                changed |= set(other.outputs())
        self.save()

    def finish(self, stage: Stage, seconds: float, images: int) -> None:
        self.stages[stage.name].update(
            outputs={path: fingerprint(path) for path in stage.outputs()},
            seconds=seconds,
            images=images,
            details=stage.details,
            finished=datetime.datetime.now().isoformat(timespec="seconds"),
        )
        self.save()

    def fail(self, stage: Stage, error: BaseException) -> None:
        message = " ".join(str(error).split()) or type(error).__name__
        self.stages[stage.name]["failed"] = message
        self.save()

    def save(self) -> None:
        write_json(self.path, self.stages)


def run_chapter(
    settings: ChapterSettings,
    fromStage: str | None = None,
    log: Callable[[str], Any] = print,
    progress: Callable[[str], Callable[[int], Any]] | None = None,
    beforeStage: Callable[[str], Any] | None = None,
    command: list[str] | None = None,
) -> dict:
    """Run every stage of the chapter that is not up to date (or every
    stage from `fromStage` on), writing the report after each (a run with
    nothing to do writes it only if it is missing). A stage that
    fails leaves the earlier ones' outputs and a report of what finished,
    and raises. `progress(stageName)` gives a stage its progress bar maker;
    `beforeStage(stageName)` is called before a stage runs (to import a
    backend a certain way, say). `command`: the command line that called
    this, recorded for the report. Returns the stage record."""
    if fromStage is not None and fromStage not in STAGES:
        raise ArgumentError("fromStage", f"{fromStage!r} is not one of {', '.join(STAGES)}")
    settings = with_bundled_test(settings)
    check_settings(settings)
    settings = with_real_paths(settings)
    paths = ChapterPaths(settings.outputDir)
    check_own_folders(paths)
    os.makedirs(paths.outputDir, exist_ok=True)
    with output_lock(paths.record):
        records = StageRecords(paths.record)
        forced = False
        reported = False
        stages = [cls(settings, paths) for cls in STAGE_CLASSES]
        for index, stage in enumerate(stages):
            forced = forced or stage.name == fromStage
            if stage.name == "submission" and settings.test is None:
                log("[INFO] submission: no test photos given, skipped")
                continue
            signature = stage.signature()
            if not forced and records.up_to_date(stage, signature):
                log(f"[INFO] {stage.name}: inputs and options unchanged, skipped")
                continue
            resume = not forced and records.started_with(stage, signature)
            if beforeStage is not None:  # before a stage's settings may import the backend
                beforeStage(stage.name)
            if not resume:
                stage.clear()  # before the record says these options started
            records.start(stage, signature, stages[index + 1 :], command)
            log(f"[INFO] {stage.name}: running...")
            began = time.perf_counter()
            try:
                images = stage.run(log, progress(stage.name) if progress else None, resume)
            except BaseException as error:
                records.fail(stage, error)
                try:
                    write_report(paths, settings, records.stages)
                except OSError as reportError:  # a full disk fails both: show the first
                    log(f"[WARNING] the report could not be written either ({reportError})")
                raise
            records.finish(stage, time.perf_counter() - began, images)
            write_report(paths, settings, records.stages)
            reported = True
        if not reported and not os.path.exists(paths.report):
            write_report(paths, settings, records.stages)
    log(f"[INFO] report: {paths.report}")
    return records.stages


def write_report(paths: ChapterPaths, settings: ChapterSettings, stages: dict) -> None:
    """Write `paths.report` (atomically) from the run's outputs."""
    page = render_report(paths, settings, stages)
    with atomic_path(paths.report) as partial, open(partial, "w", encoding="utf-8") as f:
        f.write(page)


def render_report(paths: ChapterPaths, settings: ChapterSettings, stages: dict) -> str:
    """The report page of the outputs under `paths` of the stages recorded
    in `stages`, run with `settings`, as a string: read
    (`reportdata.read_report`), then rendered (`report.render`)."""
    from pyimagesearch.pipeline.report import render
    from pyimagesearch.pipeline.reportdata import read_report

    return render(read_report(paths, settings, stages))


def with_bundled_test(settings: ChapterSettings) -> ChapterSettings:
    """`settings` with `test` set to `train` when it is not given and
    `train` is Kaggle's download as it comes (dogs-vs-cats.zip, holding
    train.zip and test1.zip): the test photos are in it."""
    from pyimagesearch.io.imagefiles import is_archive
    from pyimagesearch.io.kagglebundle import KaggleBundle

    if settings.test is not None or not is_archive(settings.train):
        return settings
    try:
        bundle = KaggleBundle(settings.train).inner_archives()
    except (OSError, ValueError) as error:
        raise ArgumentError("train", str(error)) from None
    return dataclasses.replace(settings, test=settings.train) if bundle else settings


def with_real_paths(settings: ChapterSettings) -> ChapterSettings:
    """`settings` with every path made absolute and free of links, so that
    a rerun from another folder, or through another spelling of the same
    path, finds the same record."""

    def real(path):
        return os.path.realpath(path) if path is not None and os.path.exists(path) else path

    kerasFile = settings.backbone.endswith(".keras")
    weightsFile = settings.weights not in ("imagenet", "none")
    return dataclasses.replace(
        settings,
        train=real(settings.train),
        test=real(settings.test),
        outputDir=os.path.realpath(settings.outputDir),
        backbone=real(settings.backbone) if kerasFile else settings.backbone,
        weights=real(settings.weights) if weightsFile else settings.weights,
    )


def check_own_folders(paths: ChapterPaths) -> None:
    """Raise unless each folder the run makes inside `outputDir` is absent
    or a real folder: a link planted there would have the stages write
    (and clean up) wherever it points. `outputDir` itself is the user's,
    resolved once."""
    for folder in (paths.hdf5, paths.alexnet, paths.finetune, paths.finetuneCache):
        if os.path.islink(folder):
            raise ArgumentError(
                "outputDir",
                f"{folder} is a symbolic link, not a folder this run made: refusing to write "
                "through it (remove it, or write elsewhere)",
            )
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise ArgumentError("outputDir", f"{folder} is not a folder: remove it")


WEIGHTS_FILE = "a weights file of the backbone without its top (or imagenet, or none)"


def check_counts(settings: ChapterSettings) -> None:
    """Raise `ArgumentError` for a number setting (the seed aside) that is
    not a Python number of its type (the record is JSON: a NumPy scalar
    would not be written), a whole number below 1 (or above its bound, for
    the threads and pixels of `utils.checks.MOST`), or a rate that is not
    finite and above 0: the command line refuses them as it parses, a
    library caller here, before any stage records them."""
    import math

    kinds = value_types(ChapterSettings)
    for field in dataclasses.fields(ChapterSettings):
        (value, kind) = (getattr(settings, field.name), kinds[field.name])
        unit = field.metadata["kind"]
        if value is None or kind not in (int, float) or unit == "seed":
            continue
        allowed = (int,) if kind is int else (int, float)
        if isinstance(value, bool) or type(value) not in allowed:
            raise ArgumentError(field.name, f"{value!r} is a {type(value).__name__}, not a "
                                f"Python {kind.__name__}")  # fmt: skip
        problem = count_problem(value, unit) if unit in MOST else None
        if problem:
            raise ArgumentError(field.name, problem)
        if kind is int and value < 1:
            raise ArgumentError(field.name, f"{value!r} is not a whole number of 1 or more")
        if kind is float and not 0 < value < math.inf:
            raise ArgumentError(field.name, f"{value!r} is not a finite number above 0")


def check_settings(settings: ChapterSettings) -> None:
    """Raise `ArgumentError` for settings no stage could run with."""
    check_counts(settings)
    for field in dataclasses.fields(settings):
        (value, choices) = (getattr(settings, field.name), field.metadata.get("choices"))
        if choices and value not in choices:
            raise ArgumentError(field.name, f"{value!r} is not one of {', '.join(choices)}")
    skipped = fine_tune_skipped(settings)
    if settings.fineTune == "on" and skipped is not None:
        raise ArgumentError("fineTune", f"on, but {skipped}: use auto or off")
    from pyimagesearch.io.ziparchives import ARCHIVE

    # every file named goes through the opening rule before the first stage
    kerasFile = settings.backbone.endswith(".keras")
    weightsFile = settings.weights not in ("imagenet", "none")
    for name, path, what, maxBytes in (
        ("train", settings.train, ARCHIVE, None),
        ("test", settings.test, ARCHIVE, None),
        ("backbone", settings.backbone if kerasFile else None, "a .keras model", MAX_MODEL_BYTES),
        ("weights", settings.weights if weightsFile else None, WEIGHTS_FILE, MAX_MODEL_BYTES),
    ):
        if path is None or (what == ARCHIVE and os.path.isdir(path)):
            continue
        try:
            check_input(path, what, maxBytes)
        except (OSError, ValueError) as error:
            raise ArgumentError(name, str(error)) from None
    output = os.path.realpath(settings.outputDir)
    for name in ("train", "test"):
        path = getattr(settings, name)
        if path is not None and os.path.isdir(path):
            inside = os.path.commonpath([os.path.realpath(path), output])
            if inside == os.path.realpath(path):
                raise ArgumentError(
                    "outputDir",
                    f"{settings.outputDir} is inside {path}, the {name} photos: its outputs "
                    "would count as photos; write elsewhere",
                )
    for name in ("size", "inputSize", "featureSize"):
        if getattr(settings, name) is not None:
            check_image_size(name, getattr(settings, name))
    if settings.inputSize > settings.size:  # found by the training stage, after the build
        raise ArgumentError(
            "inputSize",
            f"{settings.inputSize} is larger than the stored photos ({settings.size}, --size): "
            "AlexNet's input is cut from them",
        )
    if settings.test is not None:
        # its photos and template, before hours of training, not at the last stage
        from pyimagesearch.io.imagefiles import list_image_files
        from pyimagesearch.pipeline.submission import submission_rows

        # the test photos of Kaggle's bundle given as --train are --train's
        name = "train" if settings.test == settings.train else "test"
        try:
            listed = list_image_files(settings.test)
        except (OSError, ValueError) as error:
            raise ArgumentError(name, str(error)) from None
        try:
            submission_rows(settings.test, listed)
        except ValueError as error:
            raise ArgumentError("test", str(error)) from None
