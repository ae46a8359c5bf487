#!/bin/sh
# Removes from the installed pyarrow what no stage loads, then proves the rest still imports.
#
# The pyarrow wheel carries Arrow Flight (RPC, ~33 MB), its own S3 filesystem (~17 MB; the lake speaks S3 through
# steps/s3), C++ test libraries, headers and Cython sources: about 70 of its 170 MB. The stages use Arrow arrays,
# compute, CSV/JSON readers and Parquet; pyarrow.fs treats a missing S3 module as an optional component.
# tests/containers runs every module each stage loads in its image, so a library removed here that a stage
# needs fails the suite, not a pod. Every stage image runs this after its install; where its extra brings no
# pyarrow (verify, freshness, dbt, summary) there is nothing to trim.
set -eu
if ! python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("pyarrow") is None)'; then
    echo "pyarrow not installed: nothing to trim"
    exit 0
fi
dir=$(python3 -c 'import os, pyarrow; print(os.path.dirname(pyarrow.__file__))')
before=$(du -sm "$dir" | cut -f1)
cd "$dir"
rm -rf tests include src
find . -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' | xargs rm -f
rm -f libarrow_flight.so* libarrow_python_flight.so* _flight.*.so \
      libarrow_s3.so* _s3fs.*.so \
      _pyarrow_cpp_tests.*.so
cd /  # not inside pyarrow: its types.py would shadow the standard library's
python3 -c 'import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.json, pyarrow.fs, pyarrow.parquet, pyarrow.dataset'
echo "pyarrow trimmed: ${before} MB -> $(du -sm "$dir" | cut -f1) MB"
