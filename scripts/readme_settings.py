"""Print the README's settings table rows from the settings table in the code."""

from shared.settings import SETTINGS

for setting in SETTINGS:
    default = f"`{setting.default}`" if setting.default else "(empty)"
    print(f"| `{setting.name}` | {default} | {setting.help} |")
