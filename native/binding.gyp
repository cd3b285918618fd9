{
  "targets": [
    {
      "target_name": "tlsmcp_native",
      "sources": ["src/addon.c", "src/listener.c", "src/conn.c", "src/tls-context.c", "src/verify-cache.c", "src/shared-listen.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=9", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"],
      "conditions": [
        ["asan == 1", {
          "cflags": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ],
  "variables": { "asan%": 0 }
}
