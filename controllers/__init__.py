from . import doc
from . import json2
