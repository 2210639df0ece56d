"""Resources of the Storage daemon (bareos-sd).

Facts read from the public Bareos sources (core/src/stored/stored_conf.cc, HEAD
eda204c31c76) and written down as data: directive name, how its value is
scanned, its default, and flags (required, aliases, deprecated, referenced
resource type).  Platform path defaults are the usual Linux package paths.
"""

from __future__ import annotations

from bareosnet.config.schema import DaemonSchema, I, R
from bareosnet.config.schema import Kind as K
from bareosnet.config.tables.common import (
    AUTH_TYPES,
    COMPRESSION_ALGORITHMS,
    IO_DIRECTIONS,
    LABEL_TYPES,
    MESSAGES,
    TLS_ITEMS,
)

ADDRESS = K.ADDRESS
ADDRESSES = K.ADDRESSES
BOOL = K.BOOL
CLEAR_PASSWORD = K.CLEAR_PASSWORD
ENUM = K.ENUM
MAX_BLOCK_SIZE = K.MAX_BLOCK_SIZE
MD5_PASSWORD = K.MD5_PASSWORD
NAME = K.NAME
PATH = K.PATH
PINT16 = K.PINT16
PINT32 = K.PINT32
PLUGIN_NAMES = K.PLUGIN_NAMES
PORT = K.PORT
RES = K.RES
RES_LIST = K.RES_LIST
SIZE64 = K.SIZE64
SPEED = K.SPEED
STR = K.STR
STRNAME = K.STRNAME
STR_LIST = K.STR_LIST
TIME = K.TIME

DIRECTOR = R(
    "Director",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Password", MD5_PASSWORD, req=True),
        I("Monitor", BOOL, False),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("KeyEncryptionKey", CLEAR_PASSWORD),
        *TLS_ITEMS,
    ),
)

NDMP = R(
    "Ndmp",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Username", STR, req=True),
        I("Password", CLEAR_PASSWORD, req=True),
        I("AuthType", ENUM, "None", choices=AUTH_TYPES),
        I("LogLevel", PINT32, 4),
    ),
)

STORAGE = R(
    "Storage",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Port", PORT, 9103, alias=("SdPort",)),
        I("Address", ADDRESS, alias=("SdAddress",)),
        I("Addresses", ADDRESSES, alias=("SdAddresses",)),
        I("SourceAddress", ADDRESS, alias=("SdSourceAddress",)),
        I("WorkingDirectory", PATH, "/var/lib/bareos"),
        I("BackendDirectory", STR_LIST, ("/usr/lib/bareos/backends",)),
        I("JustInTimeReservation", BOOL, True),
        I("PluginDirectory", PATH),
        I("PluginNames", PLUGIN_NAMES),
        I("ScriptsDirectory", PATH, "/usr/lib/bareos/scripts"),
        I("MaximumConcurrentJobs", PINT32, 1000, dep=True),
        I("Messages", RES, ref="Messages"),
        I("SdConnectTimeout", TIME, 1800),
        I("FdConnectTimeout", TIME, 1800),
        I("HeartbeatInterval", TIME, 0),
        I("CheckpointInterval", TIME, 0),
        I("MaximumNetworkBufferSize", PINT32, 0),
        I("ClientConnectWait", TIME, 1800),
        I("VerId", STR),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("AllowBandwidthBursting", BOOL, False),
        I("NdmpEnable", BOOL, False),
        I("NdmpSnooping", BOOL, False),
        I("NdmpLogLevel", PINT32, 4),
        I("NdmpAddress", ADDRESS),
        I("NdmpAddresses", ADDRESSES),
        I("NdmpPort", PORT, 10000),
        I("AutoXFlateOnReplication", BOOL, False),
        I("AbsoluteJobTimeout", PINT32, 0),
        I("CollectDeviceStatistics", BOOL, False, dep=True),
        I("CollectJobStatistics", BOOL, False, dep=True),
        I("StatisticsCollectInterval", PINT32, 0, dep=True),
        I("DeviceReserveByMediaType", BOOL, False),
        I("FileDeviceConcurrentRead", BOOL, False),
        I("SecureEraseCommand", STR),
        I("LogTimestampFormat", STR, "%d-%b %H:%M"),
        I("EnableKtls", BOOL, False),
        *TLS_ITEMS,
    ),
)

DEVICE = R(
    "Device",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("MediaType", STRNAME, req=True),
        I("DeviceType", STR, ""),
        I("ArchiveDevice", STRNAME, req=True),
        I("DeviceOptions", STR),
        I("DiagnosticDevice", STRNAME),
        I("HardwareEndOfFile", BOOL, True),
        I("HardwareEndOfMedium", BOOL, True),
        I("BackwardSpaceRecord", BOOL, True),
        I("BackwardSpaceFile", BOOL, True),
        I("BsfAtEom", BOOL, False),
        I("TwoEof", BOOL, False),
        I("ForwardSpaceRecord", BOOL, True),
        I("ForwardSpaceFile", BOOL, True),
        I("FastForwardSpaceFile", BOOL, True),
        I("RemovableMedia", BOOL, True),
        I("RandomAccess", BOOL, False),
        I("AutomaticMount", BOOL, False),
        I("LabelMedia", BOOL, False),
        I("AlwaysOpen", BOOL, True),
        I("Autochanger", BOOL, False),
        I("CloseOnPoll", BOOL, False),
        I("BlockPositioning", BOOL, True),
        I("UseMtiocget", BOOL, True),
        I("CheckLabels", BOOL, False, dep=True),
        I("RequiresMount", BOOL, False),
        I("OfflineOnUnmount", BOOL, False),
        I("BlockChecksum", BOOL, True),
        I("AccessMode", ENUM, "readwrite", choices=IO_DIRECTIONS),
        I("AutoSelect", BOOL, True),
        I("ChangerDevice", STRNAME),
        I("ChangerCommand", STRNAME),
        I("AlertCommand", STRNAME),
        I("MaximumChangerWait", TIME, 300),
        I("MaximumOpenWait", TIME, 300),
        I("MaximumOpenVolumes", PINT32, 1),
        I("MaximumNetworkBufferSize", PINT32, 0, dep=True),
        I("VolumePollInterval", TIME, 300),
        I("MaximumRewindWait", TIME, 300),
        I("LabelBlockSize", PINT32, 64512),
        I("MinimumBlockSize", PINT32, 0),
        I("MaximumBlockSize", MAX_BLOCK_SIZE, 1048576),
        I("MaximumFileSize", SIZE64, 1000000000),
        I("VolumeCapacity", SIZE64, 0),
        I("MaximumConcurrentJobs", PINT32, 1),
        I("SpoolDirectory", PATH),
        I("MaximumSpoolSize", SIZE64, 0),
        I("MaximumJobSpoolSize", SIZE64, 0),
        I("DriveIndex", PINT16, 0),
        I("MountPoint", STRNAME),
        I("MountCommand", STRNAME),
        I("UnmountCommand", STRNAME),
        I("LabelType", ENUM, dep=True, choices=LABEL_TYPES),
        I("NoRewindOnClose", BOOL, True),
        I("DriveTapeAlertEnabled", BOOL, False),
        I("DriveCryptoEnabled", BOOL, False),
        I("QueryCryptoStatus", BOOL, False),
        I("AutoDeflate", ENUM, choices=IO_DIRECTIONS),
        I("AutoDeflateAlgorithm", ENUM, choices=COMPRESSION_ALGORITHMS),
        I("AutoDeflateLevel", PINT16, 6),
        I("AutoInflate", ENUM, choices=IO_DIRECTIONS),
        I("CollectStatistics", BOOL, True),
        I("EofOnErrorIsEot", BOOL, False),
        I("Count", PINT32, 1),
    ),
)

AUTOCHANGER = R(
    "Autochanger",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Device", RES_LIST, req=True, ref="Device"),
        I("ChangerDevice", STRNAME, req=True),
        I("ChangerCommand", STRNAME, req=True),
    ),
)

STORAGE_SCHEMA = DaemonSchema(
    "sd",
    "bareos-sd.conf",
    "bareos-sd.d",
    "Storage",
    (
        DIRECTOR,
        NDMP,
        STORAGE,
        DEVICE,
        MESSAGES,
        AUTOCHANGER,
    ),
)
