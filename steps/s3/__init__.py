"""A small S3 client over ``requests``: SigV4 signing, object calls, multipart uploads (the lake's S3 store)."""
