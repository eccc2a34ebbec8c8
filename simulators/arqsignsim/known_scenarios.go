package arqsignsim

// Scenarios are the names this simulator plays; any other name in a title
// ("[sim:NAME]") or as the default makes the send fail with 400.
var Scenarios = []string{ScenarioSign, ScenarioDeliveryFailure, ScenarioReject, ScenarioCancel, ScenarioExpire, ScenarioExpireAlways, ScenarioManual, ScenarioLostCompletion, ScenarioEarly}
