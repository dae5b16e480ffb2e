"""`utils.parallel`: the default number of threads."""

import os


def test_the_default_workers_is_within_the_bound_on_a_machine_of_many_cpus():
    """The default threads are one per core, within the bound on threads:
    on a machine of 2,048 CPUs the chapter refused its own default, blamed
    on --workers, which the user did not give."""
    import subprocess
    import sys

    code = (
        "import os; os.cpu_count = lambda: 2048\n"
        "from pyimagesearch.pipeline.chapter import check_counts\n"
        "from pyimagesearch.pipeline.chapterstages import ChapterSettings\n"
        "check_counts(ChapterSettings(train='t', outputDir='o'))\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip
    assert ran.returncode == 0, ran.stderr.strip().splitlines()[-1]
