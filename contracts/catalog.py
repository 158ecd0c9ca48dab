"""The registry of every published contract, built once by whoever reads messages."""

from contracts.accounts import v1 as accounts_v1
from contracts.character import v1 as character_v1
from contracts.chat import v1 as chat_v1
from contracts.errors import v1 as errors_v1
from contracts.places import v1 as places_v1
from contracts.recycling import v1 as recycling_v1
from contracts.registry import Registry
from contracts.scan import v1 as scan_v1
from contracts.system import v1 as system_v1


def build_registry() -> Registry:
    registry = Registry().register(
        accounts_v1.Register,
        accounts_v1.Login,
        accounts_v1.Refresh,
        accounts_v1.OAuthLogin,
        accounts_v1.Logout,
        accounts_v1.GetUser,
        accounts_v1.UpdateUser,
        accounts_v1.DeleteUser,
        accounts_v1.Session,
        accounts_v1.LoggedOut,
        accounts_v1.Profile,
        accounts_v1.UserRegistered,
        accounts_v1.UserDeleted,
        accounts_v1.TokenRevoked,
        errors_v1.ErrorReply,
        scan_v1.ScanRequested,
        scan_v1.ImagePrepared,
        scan_v1.ScanProgress,
        scan_v1.ScanClassified,
        scan_v1.ScanFailed,
        scan_v1.ScanCompleted,
        scan_v1.CreateScan,
        scan_v1.ScanRecord,
        scan_v1.GetScan,
        scan_v1.ListScans,
        scan_v1.ScanPage,
        recycling_v1.GetCategories,
        recycling_v1.CategoryTree,
        recycling_v1.GetRules,
        recycling_v1.RulesFound,
        recycling_v1.Search,
        recycling_v1.Match,
        recycling_v1.Items,
        places_v1.Nearby,
        places_v1.ForScan,
        places_v1.GetPlace,
        places_v1.SearchPlaces,
        places_v1.PlacePage,
        places_v1.PlaceFound,
        character_v1.GetCatalog,
        character_v1.Catalog,
        character_v1.GetOwned,
        character_v1.Owned,
        character_v1.Grant,
        character_v1.Granted,
        chat_v1.CreateChat,
        chat_v1.ChatRecord,
        chat_v1.ListChats,
        chat_v1.ChatPage,
        chat_v1.ListMessages,
        chat_v1.MessagePage,
        chat_v1.RenameChat,
        chat_v1.DeleteChat,
        chat_v1.ChatDeleted,
        chat_v1.SendMessage,
        chat_v1.MessageAccepted,
        chat_v1.StopReply,
        chat_v1.StopAccepted,
        chat_v1.ReplyRequested,
        chat_v1.StopRequested,
        chat_v1.ReplyContext,
        chat_v1.ReplyDelta,
        chat_v1.ReplyCompleted,
        chat_v1.ReplyIncomplete,
        chat_v1.ReplyFailed,
        system_v1.Ping,
        system_v1.Pong,
    )
    return registry.validate()
