from . import rpc_patches
from . import models
from . import wizards

rpc_patches.apply()
