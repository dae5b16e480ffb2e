"""report.html: what a chapter run did, on one self-contained page.

Every figure on the page is read from the files the stages wrote (the
build report, the history, crop_accuracy.json, train_model.json and the
two prediction files); every picture is embedded as a data: URI, and the
page's Content-Security-Policy lets the browser fetch nothing. A section
whose files do not exist yet (a stage not run, or failed) says so.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import platform
import sys

import cv2
import numpy as np

from pyimagesearch.io.splitrecord import read_build_record
from pyimagesearch.pipeline.chapterstages import STAGE_CLASSES, STAGES
from pyimagesearch.utils.files import atomic_path, displayable, read_json

# The book's figures (Practitioner Bundle, chapters 9 and 10): accuracy.
BOOK = {"rank1": 0.9260, "rank1_10_crops": 0.9400, "classifier": 0.9869}
# Kaggle ranks Dogs vs Cats (Redux) by log loss; MLE-bench's gold medal line.
KAGGLE_GOLD_LOG_LOSS = 0.0388
PHOTOS_SHOWN = 8
THUMBNAIL = 112
VERSIONED = ("keras", "tensorflow", "jax", "numpy", "h5py", "opencv-python", "scikit-learn")
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 0 auto;
       padding: 1em 1.5em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.name, th.name { text-align: left; }
.missing { color: #888; font-style: italic; } .failed { color: #b00; }
.photos { display: flex; flex-wrap: wrap; gap: 0.6em; }
figure { margin: 0; width: 120px; font-size: 12px; text-align: center; }
figure img { width: 112px; height: 112px; object-fit: cover; border: 3px solid #b00; }
figure.right img { border-color: #2a2; }
.row { display: flex; flex-wrap: wrap; gap: 2em; }
"""
# Counts the pictures the browser could decode: a check anyone can read.
CHECK_IMAGES = """
addEventListener("load", () => {
  const all = Array.from(document.images);
  const ok = all.filter((image) => image.complete && image.naturalWidth > 0);
  document.body.dataset.imagesLoaded = ok.length + "/" + all.length;
});
"""
# The page runs that one script and no other: the policy names its hash, so
# markup that got into the page from a stage's file could run nothing.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CHECK_IMAGES.encode()).digest()).decode()


def write_report(paths, settings, stages: dict) -> None:
    """Write `paths.report` (atomically) from the run's outputs."""
    page = render_report(paths, settings, stages)
    with atomic_path(paths.report) as partial, open(partial, "w", encoding="utf-8") as f:
        f.write(page)


def render_report(paths, settings, stages: dict) -> str:
    """The report page as a string (see the module docstring)."""
    paths = CurrentOutputs(paths, stages)
    # each is its value, or the line saying why it cannot be read
    build = shown("the build's record", read_build, paths.buildReport)
    unreadableBuild = build if isinstance(build, str) else ""
    build = None if unreadableBuild else build
    figures = shown("the figures", read_figures, paths, build)
    unreadable = ""
    if isinstance(figures, str):
        (unreadable, figures) = (figures, dict.fromkeys(FIGURES))
    sections = [
        unreadable + shown("the results", summary_section, figures),
        unreadableBuild or shown("the data", data_section, paths, build),
        shown("the training", training_section, paths),
        shown("the confusion matrices", confusion_section, figures),
        shown("the photos", photos_section, paths, settings, figures["label_names"]),
        shown("the stages", stages_section, stages),
        shown("the settings", reproduce_section, paths, settings, stages),
    ]
    # "</" would end the script element early
    machine = json.dumps(figures, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dogs vs Cats: the chapter's report</title><style>{STYLE}</style>
<script>{CHECK_IMAGES}</script></head>
<body><h1>Dogs vs Cats: chapters 9 and 10</h1>
<p>{escape(settings.train)} &rarr; {escape(paths.outputDir)}</p>
{"".join(sections)}
<script type="application/json" id="figures">{machine}</script>
</body></html>
"""


class CurrentOutputs:
    """`paths` as seen by the report: the path of an output whose stage has
    not finished since it last started (never run, running, failed, or
    undone by an earlier stage that ran again) reads as absent, so that no
    figure of an older run is shown as this run's."""

    def __init__(self, paths, stages: dict) -> None:
        self._paths = paths
        self._stale = set()
        for cls in STAGE_CLASSES:
            if (stages.get(cls.name) or {}).get("finished") is None:
                self._stale.update(cls(None, paths).outputs())

    def __getattr__(self, name):
        value = getattr(self._paths, name)
        if isinstance(value, dict):
            return {k: self._current(v) for k, v in value.items()}
        return self._current(value) if isinstance(value, str) else value

    def _current(self, path: str) -> str | None:
        return None if path in self._stale else path


FIGURES = ("rank1", "rank1_10_crops", "classifier", "log_loss", "log_loss_10_crops",
           "classifier_log_loss", "classifier_rows", "test_rows", "same_photos",
           "classifier_held_out", "confusion",
           "confusion_10_crops", "confusion_classifier", "label_names")  # fmt: skip


def shown(what: str, render, *args):
    """`render(*args)`, or one line saying why `what` cannot be shown: a
    report is never a traceback, whatever the files it reads hold."""
    try:
        return render(*args)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        return f'<p class="failed">{escape(what)} cannot be shown: {escape(reason)}</p>'


def read_figures(paths, build: dict | None) -> dict:
    """The headline figures, as the stages wrote them (None where missing);
    `build`: the build report."""
    crops = read(paths.crops) or {}
    classifier = read(paths.classifierReport) or {}
    predictions = read(paths.classifierPredictions)
    cropNames = (read(paths.cropPredictions) or {}).get("image_names")
    classifierNames = (predictions or {}).get("image_names")
    confusion = None
    if predictions is not None:
        from pyimagesearch.pipeline.evaluation import confusion_matrix

        labels = np.asarray(predictions["labels"])
        confusion = confusion_matrix(labels, np.asarray(predictions["probabilities"]))
    return {
        "rank1": crops.get("rank1"),
        "rank1_10_crops": crops.get("rank1_10_crops"),
        "classifier": classifier.get("score"),
        "log_loss": crops.get("log_loss"),
        "log_loss_10_crops": crops.get("log_loss_10_crops"),
        "classifier_log_loss": classifier.get("log_loss"),
        "classifier_rows": classifier.get("test_rows"),
        "test_rows": crops.get("images"),
        # whether AlexNet and the classifier scored the same photos, by name
        "same_photos": None
        if cropNames is None or classifierNames is None
        else sorted(cropNames) == sorted(classifierNames),
        "classifier_held_out": classifier.get("held_out"),
        "confusion": crops.get("confusion"),
        "confusion_10_crops": crops.get("confusion_10_crops"),
        "confusion_classifier": confusion,
        "label_names": build["label_names"] if build else None,
    }


def read(path):
    """A JSON output of a stage, or None when it is not there (or not
    current: `CurrentOutputs`)."""
    if path is None or not os.path.lexists(path):
        return None
    return read_json(path, "a chapter stage's output", followLinks=False)


def read_build(path):
    """The build's record (`read_build_record`), or None when it is not there."""
    if path is None or not os.path.lexists(path):
        return None
    return read_build_record(own_file(path))


def own_file(path: str) -> str:
    """`path`, unless a symbolic link sits there: the report reads what the
    stages wrote, never what a link points at (a file the reader of the
    page may not be allowed to see)."""
    if os.path.islink(path):
        raise ValueError(f"{path} is a symbolic link: refusing to read it")
    return path


class Html(str):
    """Text already made safe for the page (escaped, or markup of this
    module's own); `table` escapes every other string it is given."""


def escape(value) -> Html:
    """`value` as text for the page: HTML escaped, and a file name's bytes
    that are not UTF-8 shown escaped (`displayable`)."""
    return Html(html.escape(displayable(str(value))))


def count(value) -> int | None:
    """`value`, if it is a count (an int, not a bool) or None; else ValueError."""
    if value is not None and type(value) is not int:
        raise ValueError(f"{str(value)[:40]!r} is not a count")
    return value


def missing(what: str) -> str:
    return f'<p class="missing">{escape(what)}: not run yet.</p>'


def percent(value) -> Html:
    return Html("&ndash;" if value is None else f"{float(value):.2%}")


def table(header: list[str], rows: list[list], firstIsName=True) -> str:
    """An HTML table: `Html` cells as they are, numbers as numbers, any
    other value escaped (whatever a stage's file held)."""

    def cell(tag, value, index):
        kind = ' class="name"' if firstIsName and index == 0 else ""
        if not isinstance(value, Html):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = str(value) if number else escape(value)
        return f"<{tag}{kind}>{value}</{tag}>"

    head = "".join(cell("th", escape(h), i) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", value, i) for i, value in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_section(figures: dict) -> str:
    rows = [
        ["AlexNet, rank-1", percent(figures["rank1"]), loss(figures["log_loss"]),
         percent(BOOK["rank1"])],
        ["AlexNet, rank-1 with 10 crops", percent(figures["rank1_10_crops"]),
         loss(figures["log_loss_10_crops"]), percent(BOOK["rank1_10_crops"])],
        ["CNN features + logistic regression", percent(figures["classifier"]),
         loss(figures["classifier_log_loss"]), percent(BOOK["classifier"])],
    ]  # fmt: skip
    header = ["", "accuracy", "log loss", "the book's accuracy (reference)"]
    return (
        "<h2>Results</h2>"
        + f"<p>{scored_photos(figures)} Kaggle ranks this competition by log loss "
        + "(lower is better); the leaderboard's gold line, for reference: "
        + f"{KAGGLE_GOLD_LOG_LOSS}.</p>"
        + table(header, rows)
    )


def scored_photos(figures: dict) -> Html:
    """What the figures were measured on: "the same photos" only where
    AlexNet's predictions and the classifier's name the same photos."""
    (alexnet, classifier) = (count(figures["test_rows"]), count(figures["classifier_rows"]))
    how = escape(figures["classifier_held_out"] or "its held-out rows")
    if figures["same_photos"]:
        return (
            f"Every figure is measured on the same {alexnet} photos of the build's test split, "
            "held out from every stage that trained."
        )
    parts = []
    if alexnet is not None:
        parts.append(f"AlexNet's figures are measured on {alexnet} photos of the build's test "
                     "split, held out from its training")  # fmt: skip
    if classifier is not None:
        parts.append(f"the logistic regression's on {classifier} photos ({how})")
    if figures["same_photos"] is False:
        parts.append("not the same photos")
    return Html(("; ".join(parts) or "No figure is measured yet") + ".")


def loss(value) -> Html:
    return Html("&ndash;" if value is None else f"{float(value):.4f}")


def data_section(paths, report: dict | None) -> str:
    if report is None:
        return "<h2>Data</h2>" + missing("the build")
    mean = read(paths.mean) or {}
    used = report["used"]
    rows = [[split, count(photos)] for split, photos in used.items()]
    rows.append(["photos found", count(report["photos_found"])])
    rows.append(["skipped", count(report["skipped_count"])])
    skipped = "".join(
        f"<li>{escape(item['file'])}: {escape(item['reason'])}</li>"
        for item in report["skipped"][:20]
    )
    means = ", ".join(f"{k} {mean[k]:.1f}" for k in ("R", "G", "B") if k in mean)
    return (
        "<h2>Data</h2>"
        + f"<p>{escape(report['images'])}, classes {escape(', '.join(report['label_names']))}; "
        + f"training mean {means}.</p>"
        + table(["split", "photos"], rows)
        + (f"<p>Skipped photos (first 20):</p><ul>{skipped}</ul>" if skipped else "")
    )


def training_section(paths) -> str:
    history = read(paths.history)
    if history is None:
        return "<h2>Training</h2>" + missing("AlexNet's training")
    epochs = len(history["loss"])
    text = f"<p>{epochs} epochs."
    if history.get("val_accuracy"):
        best = int(np.argmax(history["val_accuracy"]))
        text += (f" Best validation accuracy {history['val_accuracy'][best]:.2%} "
                 f"at epoch {best + 1}; last {history['val_accuracy'][-1]:.2%}.")  # fmt: skip
    return "<h2>Training</h2>" + text + "</p>" + image_tag(curves_png(history), "training curves")


def curves_png(history: dict) -> bytes:
    """Loss and accuracy per epoch, training and validation, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    from pyimagesearch.utils.plots import history_figure

    buffer = io.BytesIO()
    history_figure(history).savefig(buffer, format="png")
    return buffer.getvalue()


def image_tag(data: bytes, alt: str, kind="png") -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/{kind};base64,{encoded}">'


def confusion_section(figures: dict) -> str:
    names = figures["label_names"]
    parts = []
    for key, title in (("confusion", "AlexNet"), ("confusion_10_crops", "AlexNet, 10 crops"),
                       ("confusion_classifier", "logistic regression")):  # fmt: skip
        counts = figures[key]
        if counts is None or names is None:
            parts.append(f"<div><h3>{title}</h3>{missing(title)}</div>")
            continue
        rows = [[f"true {name}", *map(count, row)] for name, row in zip(names, counts)]
        header = ["", *(f"predicted {name}" for name in names)]
        parts.append(f"<div><h3>{title}</h3>{table(header, rows)}</div>")
    return '<h2>Confusion matrices</h2><div class="row">' + "".join(parts) + "</div>"


def photos_section(paths, settings, names: list[str] | None) -> str:
    from pyimagesearch.io.split import Split

    parts = ["<h2>Photos</h2>"]
    crops = read(paths.cropPredictions)
    if crops is None or names is None or paths.split["test"] is None:
        parts.append(missing("AlexNet's test photos"))
    else:
        test = Split(own_file(paths.split["test"]))
        files = test.imageNames
        if crops.get("image_names", files) != files:
            # the rows are joined by index: predictions of another build
            # would put one photo's figures under another's picture
            raise ValueError(
                f"{paths.cropPredictions} names other photos than {paths.split['test']}: "
                "evaluate the model on this build again"
            )
        with test.open() as db:
            images = test.rows(db)
            parts.append(photo_rows(
                "AlexNet (10 crops) on the test split", crops["labels"],
                crops["probabilities_10_crops"], names,
                lambda row: (images[row], files[row] if files else f"row {row}"),
            ))  # fmt: skip
    predictions = read(paths.classifierPredictions)
    if predictions is None or names is None or not predictions.get("image_names"):
        parts.append(missing("the logistic regression's held-out photos"))
    else:
        # the photos are found by the names the classifier scored, in the
        # training photos: no row of features.hdf5 is joined
        files = predictions["image_names"]
        photos = training_photos(settings.train)
        parts.append(photo_rows(
            "Logistic regression on its held-out features", predictions["labels"],
            predictions["probabilities"], names,
            lambda i: (photo(photos, files[i]), files[i]),
        ))  # fmt: skip
    return "".join(parts)


def photo_rows(title, labels, probabilities, names, image_of) -> str:
    """The most confidently wrong and the least confident right photos."""
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    right = np.flatnonzero(predicted == labels)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:PHOTOS_SHOWN]
    right = right[np.argsort(confidence[right], kind="stable")][:PHOTOS_SHOWN]
    html_parts = [f"<h3>{escape(title)}</h3>"]
    for caption, chosen, kind in (("Most confidently wrong", wrong, "wrong"),
                                  ("Least confident right", right, "right")):  # fmt: skip
        figures = []
        for i in chosen:
            (image, name) = image_of(int(i))
            label = f"{escape(name)}<br>is a {escape(names[labels[i]])}; "
            label += f"said {escape(names[predicted[i]])} {confidence[i]:.1%}"
            figures.append(f'<figure class="{kind}">{thumbnail(image, name)}'
                           f"<figcaption>{label}</figcaption></figure>")  # fmt: skip
        body = "".join(figures) or '<p class="missing">none</p>'
        html_parts.append(f'<p>{caption}:</p><div class="photos">{body}</div>')
    return "".join(html_parts)


def training_photos(source: str):
    """The photo source of `source` (a folder or .zip), opened once for
    every photo the page shows, or None where it cannot be opened."""
    from pyimagesearch.io.imagefiles import READ_ERRORS, photo_source

    try:
        return photo_source(source)
    except READ_ERRORS + (ValueError,):
        return None


def photo(photos, name: str) -> np.ndarray | None:
    """The photo `name` of `photos` (`training_photos`) as BGR, or None if
    unreadable."""
    from pyimagesearch.io.imagefiles import READ_ERRORS, decode_image

    if photos is None:
        return None
    try:
        data = photos.read(name)
    except READ_ERRORS + (ValueError,):
        return None
    image = decode_image(data)
    return None if isinstance(image, str) else image


def thumbnail(image, name) -> str:
    if image is None:
        return f'<p class="missing">{escape(name)} cannot be read</p>'
    image = np.asarray(image)
    scale = THUMBNAIL / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image_tag(cv2.imencode(".jpg", small)[1].tobytes(), name, "jpeg")


def stages_section(stages: dict) -> str:
    rows = []
    total = 0.0
    for name in STAGES:
        entry = stages.get(name)
        if entry is None:
            rows.append([name, "not run", "", "", ""])
            continue
        if entry.get("failed"):
            status = Html(f'<span class="failed">failed: {escape(entry["failed"])}</span>')
        else:
            status = "finished " + entry["finished"] if entry.get("finished") else "running"
        seconds = entry.get("seconds")
        images = entry.get("images")
        rate = f"{images / seconds:.1f}" if seconds and images else ""
        total += seconds or 0.0
        rows.append([name, status, f"{seconds:.1f}" if seconds else "", images or "", rate])
    rows.append(["total", "", f"{total:.1f}", "", ""])
    counted = (
        "<p>Images: the photos each stage went through, each counted once -- the "
        "training's are its photos times its epochs; the crops stage passes each test "
        "photo through AlexNet 11 times (resized, then 10 crops); the classifier's are "
        "its fitted and scored feature rows.</p>"
    )
    header = ["stage", "status", "seconds", "images", "images/s"]
    return "<h2>Stages</h2>" + table(header, rows) + counted + submission_note(stages)


# What a submission can lack or guess, as the submission stage records it.
SUBMISSION_GAPS = {
    "photos_left_out": "test photos left out (their ids are not in sampleSubmission.csv)",
    "ids_without_photo": "ids of sampleSubmission.csv without a photo, written as 0.5",
    "unreadable_photos": "unreadable test photos, written as 0.5",
}


def submission_note(stages: dict) -> str:
    """What the finished submission lacks or guesses, in counts."""
    entry = stages.get("submission") or {}
    details = entry.get("details") or {}
    if not entry.get("finished"):
        return ""
    counts = [f"{details[key]} {said}" for key, said in SUBMISSION_GAPS.items()
              if isinstance(details.get(key), int)]  # fmt: skip
    if not counts:  # a record from before these were counted
        return ""
    return f"<p>The submission: {escape('; '.join(counts))}.</p>"


def used_list(settings: dict) -> Html:
    return Html("<br>".join(f"{escape(k)} {escape(v)}" for k, v in settings.items()))


def reproduce_section(paths, settings, stages: dict) -> str:
    from importlib import metadata

    training = stages.get("train", {}).get("details", {})
    ran = "AlexNet's training has not run"
    if "devices" in training:
        ran = f"AlexNet trained with {training['devices']}"
    if "cache" in training:
        ran += f"; cache: {training['cache']}"
    if "step_images" in training:  # not in the records of earlier versions
        ran += (f"; {training['step_images']} images a step at learning rate "
                f"{training['learning_rate']:.6g}")  # fmt: skip
    versions = [["python", platform.python_version()]]
    for package in VERSIONED:
        try:
            versions.append([package, metadata.version(package)])
        except metadata.PackageNotFoundError:
            continue
    everywhere = ("train", "test", "outputDir", "workers")
    options = [["every stage", used_list({k: getattr(settings, k) for k in everywhere})]]
    for cls in STAGE_CLASSES:
        used = cls(settings, paths).used_settings()
        options.append([cls.name, used_list(used) if used else Html("&ndash;")])
    return (
        "<h2>To reproduce</h2>"
        + f"<p>{escape(ran)}.</p>"
        + f"<p>Command: <code>{escape(' '.join(sys.argv))}</code></p>"
        + '<div class="row">'
        + table(["stage", "settings it used"], options)
        + table(["package", "version"], versions)
        + "</div>"
    )
