"""Serve a folder of pages and static files: ``remora serve APPDIR`` without main.py."""

from remora.http import App


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


async def main(args):
    root = option(args, "--root", ".")
    app = App(root)
    pages = root + "/www"
    try:
        import os

        os.stat(pages)
    except OSError:
        pages = root
    app.pages("/", pages, option(args, "--pages", None))
    await app.serve(int(option(args, "--port", "8080")))
