"""The playground in a real browser: JupyterLab 4, headless Chromium, and a student's keys and clicks.

The test starts its own JupyterLab on 127.0.0.1 with every Jupyter, IPython and matplotlib directory inside a
temporary folder (nothing leaks into the home directory, no workspace of an earlier run comes back), opens a copy
of notebooks/07_playground.ipynb, runs it, edits the widget and reads what the page shows.

It also saves a screenshot of the widget. To refresh the README's picture:

    GBP_LESSON_SCREENSHOT=images/playground.png python -m pytest tests/test_browser.py
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gbp_lesson.execute import NOTEBOOKS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NOTEBOOK = "07_playground.ipynb"
# JupyterLab's news popup and update check would ask the internet and cover the page.
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}
TIMEOUT_MS = 60_000  # a shared 2-core machine can take a while to start a kernel and draw the page


KERNEL_READY = """() => {
    const kernel = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;
    return kernel?.connectionStatus === "connected" && kernel?.status === "idle";
}"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url, process, log, deadline_s=60):
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {deadline_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab serving a copy of the playground notebook; yields (base url, token). Stopped by its PID."""
    home = tmp_path / "jupyter"
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        # The user data dir only: the lab extensions (ipywidgets' manager among them) are found in the
        # environment's share/jupyter, which stays on Jupyter's data path.
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
        "MPLCONFIGDIR": home / "matplotlib",
    }
    for folder in dirs.values():
        folder.mkdir(parents=True)
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(NO_NEWS))
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOKS / NOTEBOOK, root / NOTEBOOK)  # running it in the page rewrites it: never the original

    port, token = free_port(), os.urandom(16).hex()
    env = {**os.environ, **{name: str(folder) for name, folder in dirs.items()}}
    log = tmp_path / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",  # CI runs as root
        # No request to the internet from the server either: no update check, no extension catalogue.
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the test asks it whether the kernel is ready
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/status?token={token}", process, log)
        yield base, token
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)  # the server shuts its kernels down, then exits
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def start_kernel_for(base, token, notebook):
    """Start the notebook's kernel through the server's REST API, so that the page attaches to it instead of
    asking, in a dialog that sometimes wins the race with the page's kernel list, which kernel to start."""
    request = urllib.request.Request(
        f"{base}/api/sessions?token={token}", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"path": notebook, "type": "notebook", "kernel": {"name": "python3"}}).encode(),
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201, response.read()


@pytest.fixture
def chromium():
    """Debian's Chromium, or a skip that says why (a failure under CI=true, where the test must run)."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser test"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true, where the browser test must run)")
    print(reason)
    pytest.skip(reason)


def cells(page, name):
    """The texts of a shown table, row by row, as the student reads them."""
    return page.locator(f"table.gbp-table-{name} td").all_inner_texts()


def flat(text):
    return text.replace("/", " ").split()


# chromium comes first: without a browser, no JupyterLab is started for nothing.
def test_a_student_edits_the_playground_in_jupyterlab(chromium, jupyterlab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, token = jupyterlab
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium), args=CHROMIUM_FLAGS,
            headless=True, viewport={"width": 1500, "height": 1100},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            start_kernel_for(base, token, NOTEBOOK)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?reset&token={token}")
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible()
            # "Run All Cells" sent while the page still connects to the kernel can be lost: wait for the link.
            page.wait_for_function(KERNEL_READY)
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()

            # The widget opens on the seed's example.
            guided = page.locator("table.gbp-table-grad-guided td")
            expect(guided).to_have_text(flat("1 0 1 / 0 1 0 / 1 0 0"))
            expect(page.locator(".gbp-status")).to_have_text("The chosen rules disagree on 1 entry (outlined).")

            # x = 1 becomes 4: its output is now above the target 2, the upstream gradient there is +1 and
            # every rule passes it.
            box = page.locator(".gbp-x-0-1 input")
            box.fill("4")
            box.press("Enter")
            expect(guided).to_have_text(flat("1 1 1 / 0 1 0 / 1 0 0"))
            expect(page.locator("table.gbp-table-upstream td")).to_have_text(flat("1 1 1 / -1 1 -1 / 1 0 -1"))
            expect(page.locator(".gbp-status")).to_have_text("The chosen rules agree on every entry here.")

            # A comma: the message appears under the grid, the tables keep the last good result.
            box = page.locator(".gbp-x-1-2 input")
            box.fill("1,5")
            box.press("Enter")
            expect(page.locator(".gbp-x-message")).to_have_text(
                "x row 2, column 3: '1,5': write decimals with a point, not a comma"
            )
            expect(page.locator(".gbp-status")).to_contain_text("Showing the last good result")
            assert cells(page, "grad-guided") == flat("1 1 1 / 0 1 0 / 1 0 0")

            # Springenberg et al.'s preset replaces every box; all three rules differ there.
            page.get_by_role("button", name="Springenberg's example").click()
            expect(guided).to_have_text(flat("0 0 0 / 6 0 0 / 0 0 3"))
            expect(page.locator(".gbp-x-message")).to_have_text("")
            expect(page.locator(".gbp-status")).to_have_text("The chosen rules disagree on 6 entries (outlined).")

            screenshot = tmp_path / "playground.png"
            page.locator(".gbp-playground").screenshot(path=str(screenshot))
            assert screenshot.stat().st_size > 10_000
            if os.environ.get("GBP_LESSON_SCREENSHOT"):
                shutil.copy(screenshot, os.environ["GBP_LESSON_SCREENSHOT"])
        except Exception:
            # What the page showed when it went wrong, for the person reading the failure.
            page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"the page at the failure: {tmp_path / 'failure.png'}")
            raise
        finally:
            browser.close()
