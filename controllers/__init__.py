from . import json2
