"""Execute one notebook headless with Jupyter's nbclient and report the failing cell precisely.

Usage: python3 execute_notebook.py INPUT OUTPUT --kernel tslab --cwd DIR --timeout SECONDS

Writes the executed notebook (partial when a cell fails) to OUTPUT and signs it as trusted. On failure
prints one JSON line prefixed with 'NOTEBOOK-FAILURE ' to stderr and exits 2.

Signing: Jupyter runs the scripts in a notebook's HTML outputs (the plotly figures) only when the
notebook is trusted, i.e. its signature is in the notary's database. nbformat's NotebookNotary keeps
that database and its secret in the Jupyter data directory (jupyter_data_dir(): $JUPYTER_DATA_DIR, else
~/.local/share/jupyter on Linux), which JUPYTER_PATH (set by the runner to find the project's kernel)
does not change. So a Jupyter server started by the same user without another JUPYTER_DATA_DIR finds
the signature and shows the figures. The outputs come from the kit's own code run by this script,
which is what trusting them asserts.
"""
import argparse
import json
import re
import sys

import nbformat
from nbformat.sign import NotebookNotary
from nbclient import NotebookClient


class TrackingClient(NotebookClient):
    """Remembers which cell is running, so a failure can name it."""

    current_index = None

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.current_index = cell_index
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)


def error_text_from_outputs(cell):
    """tslab reports a cell's error on stderr with an empty evalue: take the error line from there."""
    if cell is None:
        return ''
    lines = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            lines.extend(out.get('text', '').splitlines())
        elif out.get('output_type') == 'error':
            lines.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    errors = [line.strip() for line in lines if re.match(r'^\s*([A-Za-z]*Error|\d+:\d+ - )', line)]
    return ' | '.join(errors) if errors else ' | '.join(line.strip() for line in lines[-5:] if line.strip())


def sign(path):
    """Signs the notebook as written (re-read, so the signature covers exactly the file's content)."""
    written = nbformat.read(path, as_version=4)
    NotebookNotary().sign(written)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('input')
    ap.add_argument('output')
    ap.add_argument('--kernel', default='tslab')
    ap.add_argument('--cwd', required=True)
    ap.add_argument('--timeout', type=int, default=600)
    args = ap.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    client = TrackingClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        resources={'metadata': {'path': args.cwd}},
        allow_errors=False,
    )
    failure = None
    try:
        client.execute()
    except Exception as err:  # any failure: a cell error, a timeout, a dead kernel
        index = client.current_index
        cell = nb.cells[index] if index is not None else None
        source = cell.source if cell is not None else ''
        first_line = next((line for line in source.splitlines() if line.strip()), '')
        failure = {
            'cell_index': index,
            'code_cell_number': None if index is None else sum(
                1 for c in nb.cells[: index + 1] if c.cell_type == 'code'),
            'first_line': first_line[:120],
            'error_name': getattr(err, 'ename', type(err).__name__),
            'error_value': (str(getattr(err, 'evalue', '') or '').strip() or error_text_from_outputs(cell)
                            or str(err).strip())[:4000],
        }
    nbformat.write(nb, args.output)
    sign(args.output)
    if failure is not None:
        print('NOTEBOOK-FAILURE ' + json.dumps(failure), file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
