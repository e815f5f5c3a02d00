{
  "targets": [
    {
      "target_name": "peer_credentials",
      "sources": ["peer-credentials.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
