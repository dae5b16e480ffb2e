"""report.html: what a chapter run did, on one self-contained page,
rendered from `ReportData` (`pyimagesearch.pipeline.reportdata` reads it
from the files the stages wrote and their record;
`pyimagesearch.pipeline.chapter.write_report` does both). This module
reads nothing: the page is a function of the data.

Every picture is embedded as a data: URI, and the page's
Content-Security-Policy lets the browser fetch nothing. A section whose
files do not exist yet (a stage not run, or failed) says so; one whose
files cannot be read says why in one line. Rendering changes no global
state: the curves are drawn on their own matplotlib Figure.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import shlex

from pyimagesearch.io.splitrecord import HELD_OUT_BY_BUILD
from pyimagesearch.pipeline.chapterstages import PREDICTED_BY, STAGES
from pyimagesearch.pipeline.reportdata import (
    FIGURES,
    Photo,
    PhotoGroup,
    ReportData,
    Submission,
    Unreadable,
)
from pyimagesearch.utils.files import displayable

# The book's figures (Practitioner Bundle, chapters 9 and 10): accuracy.
BOOK = {"rank1": 0.9260, "rank1_10_crops": 0.9400, "classifier": 0.9869}
# Kaggle ranks Dogs vs Cats (Redux) by log loss; MLE-bench's gold medal line.
KAGGLE_GOLD_LOG_LOSS = 0.0388
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


def render(data: ReportData) -> str:
    """The page of `data`."""
    figures = data.figures
    unreadable = ""
    if isinstance(figures, Unreadable):
        (unreadable, figures) = (cannot_show(figures), dict.fromkeys(FIGURES))
    sections = [
        unreadable
        + summary_section(figures)
        + finetune_section(data.finetune)
        + submission_maker(data.submission),
        data_section(data.build, data.mean),
        training_section(data.history) + finetune_curves(data.finetune),
        confusion_section(figures),
        photos_section(data.photos),
        stages_section(data.stages),
        reproduce_section(data),
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
<p>{escape(data.train)} &rarr; {escape(data.outputDir)}</p>
{"".join(sections)}
<script type="application/json" id="figures">{machine}</script>
</body></html>
"""


def cannot_show(part: Unreadable) -> str:
    return f'<p class="failed">{escape(part.what)} cannot be shown: {escape(part.reason)}</p>'


class Html(str):
    """Text already made safe for the page (escaped, or markup of this
    module's own); `table` escapes every other string it is given."""


def escape(value) -> Html:
    """`value` as text for the page: HTML escaped, and a file name's bytes
    that are not UTF-8 shown escaped (`displayable`)."""
    return Html(html.escape(displayable(str(value))))


def missing(what: str) -> str:
    return f'<p class="missing">{escape(what)}: not run yet.</p>'


def percent(value) -> Html:
    return Html("&ndash;" if value is None else f"{float(value):.2%}")


def loss(value) -> Html:
    return Html("&ndash;" if value is None else f"{float(value):.4f}")


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
    if figures["finetuned"] is not None:
        rows.append(["CNN fine-tuned (its top, and the logistic regression as its head)",
                     percent(figures["finetuned"]), loss(figures["finetuned_log_loss"]),
                     Html("&ndash;")])  # fmt: skip
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
    AlexNet's predictions, the classifier's (and the fine-tuned model's)
    name the same photos, each held out as the build recorded."""
    (alexnet, classifier) = (figures["test_rows"], figures["classifier_rows"])
    tuned = figures["finetuned_rows"]
    how = escape(figures["classifier_held_out"] or "its held-out rows")
    byBuild = figures["classifier_held_out"] == HELD_OUT_BY_BUILD and (
        tuned is None or figures["finetuned_held_out"] == HELD_OUT_BY_BUILD
    )
    if figures["same_photos"] and byBuild:
        return Html(
            f"Every figure is measured on the same {alexnet} photos of the build's test split, "
            "held out from every stage that trained."
        )
    parts = []
    if alexnet is not None:
        parts.append(f"AlexNet's figures are measured on {alexnet} photos of the build's test "
                     "split, held out from its training")  # fmt: skip
    if classifier is not None:
        parts.append(f"the logistic regression's on {classifier} photos ({how})")
    if tuned is not None:
        tunedHow = escape(figures["finetuned_held_out"] or "its held-out photos")
        parts.append(f"the fine-tuned model's on {tuned} photos ({tunedHow})")
    if figures["same_photos"] is not None:
        parts.append("the same photos" if figures["same_photos"] else "not the same photos")
    return Html(("; ".join(parts) or "No figure is measured yet") + ".")


def finetune_section(finetune: dict | None | Unreadable) -> str:
    """Whether fine-tuning ran, and which model the validation split chose,
    with the validation log losses that chose it."""
    if isinstance(finetune, Unreadable):
        return cannot_show(finetune)
    if finetune is None:
        return missing("Fine-tuning")
    if "skipped" in finetune:
        return f"<p>Fine-tuning: skipped ({escape(finetune['skipped'])}).</p>"
    # the choice is made before the temperature where the record says so
    before = "val_log_loss_uncalibrated" in finetune
    ours = finetune["val_log_loss_uncalibrated" if before else "val_log_loss"]
    compared = (
        f"validation log loss: the logistic regression (refitted on the train split) "
        f"{finetune['classifier_val_log_loss']:.4f}, the fine-tuned model {ours:.4f} "
        f"({'before' if before else 'after'} its temperature)"
    )
    how = escape(TRAINED_ON.get(finetune.get("mode"), ""))
    if finetune["submit_with"] == "finetuned":
        return (
            f"<p>{how}The validation split chose the fine-tuned model over the logistic "
            f"regression ({escape(compared)}).</p>"
        )
    if finetune.get("best_epoch") == 0:
        compared += "; no epoch of training lowered it: its head stayed the logistic regression's"
    return (
        f"<p>{how}The logistic regression&#x27;s predictions are kept: the validation split "
        f"says fine-tuning does not help ({escape(compared)}).</p>"
    )


# How the fine-tuned top was trained, by its record's "mode".
TRAINED_ON = {
    "cached": "The network's top was fine-tuned on the cached activations of the layer below. ",
    "end-to-end": "The network's top was fine-tuned end to end, on the build's photos through "
    "the training feeds, devices and augmentation. ",
}


# Who predicted the submission, by what its stage records.
MADE_BY = {PREDICTED_BY["classifier"]: "the logistic regression",
           PREDICTED_BY["finetuned"]: "the fine-tuned model",
           PREDICTED_BY["alexnet"]: "AlexNet, each photo's 10 crops averaged"}  # fmt: skip


def submission_maker(submission: Submission | None | Unreadable) -> str:
    """Which model made submission.csv, and a link to that model's file
    where it is the one the submission stage wrote."""
    if isinstance(submission, Unreadable):
        return cannot_show(submission)
    if submission is None:
        return missing("The submission")
    made = "not recorded (an earlier version)"
    if submission.predictedBy is not None:
        made = MADE_BY[submission.predictedBy]
    text = f"<p>submission.csv was predicted by {escape(made)}; "
    name = escape(submission.model)
    if submission.bytes is None:
        return text + f"{name}, the model that made it, is not there.</p>"
    if not submission.asWritten:
        return text + f"{name} has changed since the submission stage wrote it.</p>"
    return (
        text + f'<a href="{name}">{name}</a> ({file_size(submission.bytes)}) is that model, as '
        "the submission stage wrote it.</p>"
    )


def file_size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.1f} KB"


def data_section(build: dict | None | Unreadable, mean: dict | None | Unreadable) -> str:
    if isinstance(build, Unreadable):
        return cannot_show(build)
    if build is None:
        return "<h2>Data</h2>" + missing("the build")
    if isinstance(mean, Unreadable):
        return cannot_show(mean)
    rows = [[split, photos] for split, photos in build["used"].items()]
    rows.append(["photos found", build["photos_found"]])
    rows.append(["skipped", build["skipped_count"]])
    skipped = "".join(
        f"<li>{escape(item['file'])}: {escape(item['reason'])}</li>"
        for item in build["skipped"][:20]
    )
    means = ", ".join(f"{k} {mean[k]:.1f}" for k in "RGB") if mean else "not there"
    return (
        "<h2>Data</h2>"
        + f"<p>{escape(build['images'])}, classes {escape(', '.join(build['label_names']))}; "
        + f"training mean {means}.</p>"
        + table(["split", "photos"], rows)
        + (f"<p>Skipped photos (first 20):</p><ul>{skipped}</ul>" if skipped else "")
    )


def training_section(history: dict | None | Unreadable) -> str:
    if isinstance(history, Unreadable):
        return cannot_show(history)
    if history is None:
        return "<h2>Training</h2>" + missing("AlexNet's training")
    text = f"<p>{len(history.get('loss', []))} epochs."
    accuracy = history.get("val_accuracy") or []
    measured = [value for value in accuracy if value is not None]  # None: a diverged epoch
    if measured:
        best = accuracy.index(max(measured))
        text += (f" Best validation accuracy {accuracy[best]:.2%} "
                 f"at epoch {best + 1}; last {percent(accuracy[-1])}.")  # fmt: skip
    return "<h2>Training</h2>" + text + "</p>" + image_tag(curves_png(history), "training curves")


def curves_png(history: dict) -> bytes:
    """Loss and accuracy per epoch, training and validation, side by side:
    drawn on a Figure of its own, the matplotlib backend left alone."""
    from pyimagesearch.utils.plots import history_figure

    return png(history_figure(history))


def finetune_curves(finetune: dict | None | Unreadable) -> str:
    """The fine-tuning's validation log loss per epoch, beside the logistic
    regression's, the kept epoch marked; nothing where it did not run
    (the results say why)."""
    if not isinstance(finetune, dict) or "skipped" in finetune:
        return ""
    text = "<h3>Fine-tuning</h3><p>"
    if "history" not in finetune:
        return text + "No log loss per epoch recorded (an earlier version).</p>"
    (history, best) = (finetune["history"], finetune.get("best_epoch"))
    text += (f"Validation log loss per epoch ({len(history) - 1} epochs of training; epoch 0 is "
             "the logistic regression&#x27;s head, before any)")  # fmt: skip
    if best is not None:
        text += f"; epoch {best} kept"
    if "temperature" in finetune:
        text += (f"; then a temperature of {finetune['temperature']:.3f}, fitted on the same "
                 f"photos: {finetune['val_log_loss']:.4f}")  # fmt: skip
    from pyimagesearch.utils.plots import epoch_figure

    curves = {"validation log loss": history}
    if "train_history" in finetune:  # from epoch 1: epoch 0 trained nothing
        curves["training loss"] = [None, *finetune["train_history"]]
        text += "; the training loss is each epoch&#x27;s mean on the cached views, dropout on."
    else:
        text += ". Its training loss is not recorded."
    figure = epoch_figure(
        curves, 0, "log loss",
        {"logistic regression, validation": finetune["classifier_val_log_loss"]}, best,
    )  # fmt: skip
    return text + "</p>" + image_tag(png(figure), "fine-tuning curves")


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
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
        rows = [[f"true {name}", *row] for name, row in zip(names, counts, strict=True)]
        header = ["", *(f"predicted {name}" for name in names)]
        parts.append(f"<div><h3>{title}</h3>{table(header, rows)}</div>")
    return '<h2>Confusion matrices</h2><div class="row">' + "".join(parts) + "</div>"


def photos_section(photos: list[PhotoGroup | str] | Unreadable) -> str:
    if isinstance(photos, Unreadable):
        return cannot_show(photos)
    parts = ["<h2>Photos</h2>"]
    for group in photos:
        parts.append(missing(group) if isinstance(group, str) else photo_group(group))
    return "".join(parts)


def photo_group(group: PhotoGroup) -> str:
    parts = [f"<h3>{escape(group.title)}</h3>"]
    for caption, shown, kind in (("Most confidently wrong", group.wrong, "wrong"),
                                 ("Least confident right", group.right, "right")):  # fmt: skip
        figures = []
        for photo in shown:
            label = f"{escape(photo.name)}<br>is a {escape(photo.truth)}; "
            label += f"said {escape(photo.said)} {photo.confidence:.1%}"
            figures.append(f'<figure class="{kind}">{thumbnail(photo)}'
                           f"<figcaption>{label}</figcaption></figure>")  # fmt: skip
        body = "".join(figures) or '<p class="missing">none</p>'
        parts.append(f'<p>{caption}:</p><div class="photos">{body}</div>')
    return "".join(parts)


def thumbnail(photo: Photo) -> str:
    if photo.jpeg is None:
        return f'<p class="missing">{escape(photo.name)} cannot be read</p>'
    return image_tag(photo.jpeg, photo.name, "jpeg")


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
        "training's are its photos times its epochs; the crop_accuracy stage passes each test "
        "photo through AlexNet 11 times (resized, then 10 crops); the classifier's are "
        "its fitted and scored feature rows; the fine-tuning's, the views of each photo "
        "its frozen part saw (a training photo's augmented views, two of any other).</p>"
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


def given_list(given: dict[str, list[tuple]]) -> Html:
    """The settings every stage is given, each once where the stages ran
    with one value; where they ran with several, each value with the
    stages that ran with it."""
    lines = []
    for name, values in given.items():
        if len(values) == 1:
            lines.append(f"{escape(name)} {escape(values[0][0])}")
        elif values:
            each = ", ".join(f"{escape(value)} ({escape(', '.join(stages))})"
                             for value, stages in values)  # fmt: skip
            lines.append(f"{escape(name)}, which the stages ran with different values: {each}")
    return Html("<br>".join(lines) or "not recorded")


def used_settings(entry: dict | None) -> Html:
    """The settings a stage's record says it used."""
    if entry is None:
        return Html("not run")
    if "settings" not in entry:
        return Html("not recorded (an earlier version)")
    return used_list(entry["settings"]) or Html("&ndash;")


def commands(stages: dict) -> str:
    """The command lines the stages recorded, each with the stages it ran
    where they differ."""
    ran = {}
    for name in STAGES:
        command = (stages.get(name) or {}).get("command")
        if command:
            ran.setdefault(shlex.join(command), []).append(name)
    if not ran:
        return "<p>Command: none recorded (run from Python, or by an earlier version).</p>"
    shown = []
    for command, names in ran.items():
        which = f" ({escape(', '.join(names))})" if len(ran) > 1 else ""
        shown.append(f"<p>Command{which}: <code>{escape(command)}</code></p>")
    return "".join(shown)


def reproduce_section(data: ReportData) -> str:
    training = (data.stages.get("train") or {}).get("details", {})
    ran = "AlexNet's training has not run"
    if "devices" in training:
        ran = f"AlexNet trained with {training['devices']}"
    if "cache" in training:
        ran += f"; cache: {training['cache']}"
    if "step_images" in training:  # not in the records of earlier versions
        ran += (f"; {training['step_images']} images a step at learning rate "
                f"{training['learning_rate']:.6g}")  # fmt: skip
    options = [["every stage", given_list(data.everyStage)]]
    options += [[name, used_settings(data.stages.get(name))] for name in STAGES]
    return (
        "<h2>To reproduce</h2>"
        + f"<p>{escape(ran)}.</p>"
        + commands(data.stages)
        + '<div class="row">'
        + table(["stage", "settings it used"], options)
        + table(["package", "version"], data.versions)
        + "</div>"
    )
