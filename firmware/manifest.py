# remora's part of every firmware: the whole package, frozen (paths are relative to this
# file).  Each board's manifest (NAME/manifest.py) includes its port's own manifest and this.
package("remora", base_path="../lib")
