from . import malformed_requests
from . import rpc_patches
from . import models
from . import wizards

rpc_patches.apply()
malformed_requests.apply()
